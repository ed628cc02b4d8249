package testdb

import (
	"os"
	"testing"
)

// External reports whether the server was named by an environment variable
// (TRIBUTARY_TEST_POSTGRES_DSN, TRIBUTARY_TEST_MYSQL_DSN) instead of started
// by testdb. Such a server cannot be restarted or started with other
// settings, and other tests and programs may be using it.
func (s *server) External() bool { return s.external }

// SkipIfExternal skips t when the server is external, saying why the test
// needs a server it controls; it does nothing for a server testdb started.
// With the CI environment variable set it fails t instead: no test may skip
// in CI, and CI runs against the servers the tests start themselves.
func (s *server) SkipIfExternal(t testing.TB, why string) {
	t.Helper()
	if !s.external {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("this test %s, which it cannot on the external server %s names; CI must not set %s", why, s.envVar, s.envVar)
	}
	t.Skipf("skipped on the external server %s names: this test %s", s.envVar, why)
}
