package mongo

import (
	"testing"
)

func TestCaptures(t *testing.T) {
	for _, tc := range []struct {
		cfg      Config
		db, coll string
		want     bool
	}{
		{Config{}, "shop", "orders", true},
		{Config{}, "admin", "x", false},
		{Config{}, "local", "oplog.rs", false},
		{Config{Database: "shop"}, "shop", "orders", true},
		{Config{Database: "shop"}, "crm", "orders", false},
		{Config{Collections: []string{"shop.orders"}}, "shop", "orders", true},
		{Config{Collections: []string{"shop.orders"}}, "shop", "items", false},
		{Config{Collections: []string{"shop.orders"}}, "shop", "", true},
		{Config{Collections: []string{"shop.orders"}}, "crm", "", false},
		{Config{IncludeDatabases: []string{"shop_*"}}, "shop_eu", "a", true},
		{Config{IncludeDatabases: []string{"shop_*"}}, "crm", "a", false},
		{Config{ExcludeDatabases: []string{"tmp*"}}, "tmp1", "", false},
		{Config{IncludeCollections: []string{"shop.o*"}}, "shop", "orders", true},
		{Config{IncludeCollections: []string{"shop.o*"}}, "shop", "items", false},
		{Config{ExcludeCollections: []string{"*.tmp_*"}}, "shop", "tmp_1", false},
		{Config{ExcludeCollections: []string{"*.tmp_*"}}, "shop", "orders", true},
	} {
		if got := tc.cfg.captures(tc.db, tc.coll); got != tc.want {
			t.Errorf("%+v captures(%q, %q) = %v, want %v", tc.cfg, tc.db, tc.coll, got, tc.want)
		}
	}
}

func TestScope(t *testing.T) {
	for _, tc := range []struct {
		cfg      Config
		db, coll string
	}{
		{Config{Collections: []string{"shop.orders"}}, "shop", "orders"},
		{Config{Collections: []string{"shop.orders", "shop.items"}}, "shop", ""},
		{Config{Collections: []string{"shop.orders", "crm.orders"}}, "", ""},
		{Config{Database: "shop"}, "shop", ""},
		{Config{}, "", ""},
	} {
		s := &Source{cfg: tc.cfg}
		if db, coll := s.scope(); db != tc.db || coll != tc.coll {
			t.Errorf("%v: scope %q %q, want %q %q", tc.cfg.Collections, db, coll, tc.db, tc.coll)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"mongodb://u:secret@h/?x=1":    "mongodb://u:xxxxx@h/?x=1",
		"mongodb://h/?x=1":             "mongodb://h/?x=1",
		"mongodb+srv://u:p@cluster.io": "mongodb+srv://u:xxxxx@cluster.io",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
