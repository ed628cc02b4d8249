package transform

import (
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/tributary-cdc/cdc"
)

// Route rewrites Event.Destination with a regular expression, like Kafka Connect's
// RegexRouter: when the whole destination matches regex, it becomes replacement, in
// which $1 (or ${1}) stands for the first group and ${name} for a named group;
// destinations that do not match stay as they are. The replacement is Java's syntax,
// as in Kafka Connect: $12 means group 12 when the regex has that many groups and
// group 1 followed by "2" otherwise; \$ and \\ write "$" and "\". The regex is Go's
// (RE2) syntax, which has no backreferences or lookaround.
//
//	Route(`^public\.(.*)$`, "shop.$1")     // "public.orders" -> "shop.orders"
//	Route(`(?P<ns>[^.]+)\.(.*)`, "cdc.${ns}.$2")
//
// Route changes every event with a destination, schema and truncate events included,
// so that all of a table's events go the same way.
//
// Route returns an error wrapping cdc.ErrInvalidConfig when the regex does not compile,
// the replacement is empty, or it names a group the regex does not have.
func Route(regex, replacement string) (cdc.Transform, error) {
	if regex == "" {
		return nil, shapeConfigErr("Route", "regex is empty: give the pattern destinations must match")
	}
	re, err := regexp.Compile(`^(?:` + regex + `)$`)
	if err != nil {
		return nil, shapeConfigErr("Route", "regex %q does not compile: %v", regex, err)
	}
	if replacement == "" {
		return nil, shapeConfigErr("Route", "replacement is empty: give the new destination, e.g. \"shop.$1\"")
	}
	parts, err := routeParseReplacement(re, regex, replacement)
	if err != nil {
		return nil, err
	}
	return &routeT{re: re, parts: parts}, nil
}

// MustRoute is Route that panics on bad arguments, for constants written in code.
func MustRoute(regex, replacement string) cdc.Transform {
	t, err := Route(regex, replacement)
	if err != nil {
		panic(err)
	}
	return t
}

// routePart is a literal (group < 0) or a group reference.
type routePart struct {
	lit   string
	group int
}

// routeParseReplacement parses a Java Matcher.appendReplacement string.
func routeParseReplacement(re *regexp.Regexp, regex, s string) ([]routePart, error) {
	var parts []routePart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, routePart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	groups := re.NumSubexp()
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return nil, shapeConfigErr("Route", "replacement %q ends with a lone \\: write \\\\ for a backslash", s)
			}
			i++
			lit.WriteByte(s[i])
		case '$':
			if i+1 == len(s) {
				return nil, shapeConfigErr("Route", "replacement %q ends with a lone $: write \\$ for a dollar sign", s)
			}
			if s[i+1] == '{' {
				end := strings.IndexByte(s[i+2:], '}')
				if end < 0 {
					return nil, shapeConfigErr("Route", "replacement %q has an unclosed ${", s)
				}
				name := s[i+2 : i+2+end]
				g := -1
				if n, err := strconv.Atoi(name); err == nil {
					g = n
				} else if name != "" {
					g = re.SubexpIndex(name)
				}
				if g < 0 || g > groups {
					return nil, shapeConfigErr("Route", "replacement %q refers to group ${%s}, which regex %q does not have", s, name, regex)
				}
				flush()
				parts = append(parts, routePart{group: g})
				i += 2 + end
				continue
			}
			if s[i+1] < '0' || s[i+1] > '9' {
				return nil, shapeConfigErr("Route", "replacement %q has $ before %q: refer to a group as $1 or ${name}, or write \\$ for a dollar sign", s, s[i+1])
			}
			// Java: the first digit always belongs to the reference; further digits do
			// while the number stays a group of the regex.
			g := int(s[i+1] - '0')
			if g > groups {
				return nil, shapeConfigErr("Route", "replacement %q refers to group $%d, which regex %q does not have", s, g, regex)
			}
			j := i + 2
			for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
				n := g*10 + int(s[j]-'0')
				if n > groups {
					break
				}
				g = n
			}
			flush()
			parts = append(parts, routePart{group: g})
			i = j - 1
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return parts, nil
}

type routeT struct {
	re    *regexp.Regexp
	parts []routePart
	last  atomic.Pointer[[2]string] // the last destination and its result
}

func (t *routeT) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if last := t.last.Load(); last != nil && last[0] == ev.Destination {
		ev.Destination = last[1]
		return true, nil
	}
	in := ev.Destination
	out := in
	if m := t.re.FindStringSubmatchIndex(in); m != nil {
		var b strings.Builder
		for _, p := range t.parts {
			if p.group < 0 {
				b.WriteString(p.lit)
			} else if m[2*p.group] >= 0 {
				b.WriteString(in[m[2*p.group]:m[2*p.group+1]])
			}
		}
		out = b.String()
	}
	t.last.Store(&[2]string{in, out})
	ev.Destination = out
	return true, nil
}

// RouteByField sets Event.Destination from a column's value, formatted by format:
// "${value}" stands for the value's text, "${destination}" for the current
// destination, "${table}" for the table name (any other "${" is an error). For
// example RouteByField("region", "orders.${value}") sends a row with region "eu" to
// "orders.eu".
//
// The column is read from the row that holds the current state (After, or Before for
// deletes); when the value there is cdc.Unchanged it is read from Before, and when the
// row lacks the column, from Key. When the column is missing or NULL the destination
// stays as it is, and so it does for events that are not row changes.
//
// The text of a value: strings and []byte as they are, numbers in decimal (floats in
// shortest form), cdc.Decimal as written ("1.50"), time.Time in UTC as RFC 3339, bools
// as "true"/"false".
//
// RouteByField returns an error wrapping cdc.ErrInvalidConfig for an empty column, or
// a format without ${value} or with an unknown placeholder.
func RouteByField(column string, format string) (cdc.Transform, error) {
	if column == "" {
		return nil, shapeConfigErr("RouteByField", "column is empty: name the column whose value picks the destination")
	}
	split, err := splitTemplate(format)
	if err != nil {
		return nil, shapeConfigErr("RouteByField", "format %q %v", format, err)
	}
	var parts []routeFmtPart
	hasValue := false
	for _, p := range split {
		if !p.isVar {
			parts = append(parts, routeFmtPart{lit: p.text})
			continue
		}
		var k routeFmtKind
		switch p.text {
		case "value":
			k, hasValue = routeFmtValue, true
		case "destination":
			k = routeFmtDestination
		case "table":
			k = routeFmtTable
		default:
			return nil, shapeConfigErr("RouteByField", "format %q has the unknown placeholder ${%s}: use ${value}, ${destination} or ${table}", format, p.text)
		}
		parts = append(parts, routeFmtPart{kind: k})
	}
	if !hasValue {
		return nil, shapeConfigErr("RouteByField", "format %q does not use ${value}: write e.g. \"orders.${value}\"", format)
	}
	return &routeByFieldT{column: column, parts: parts}, nil
}

// MustRouteByField is RouteByField that panics on bad arguments, for constants in code.
func MustRouteByField(column string, format string) cdc.Transform {
	t, err := RouteByField(column, format)
	if err != nil {
		panic(err)
	}
	return t
}

type routeFmtKind uint8

const (
	routeFmtLiteral routeFmtKind = iota
	routeFmtValue
	routeFmtDestination
	routeFmtTable
)

type routeFmtPart struct {
	kind routeFmtKind
	lit  string
}

type routeByFieldT struct {
	column string
	parts  []routeFmtPart
}

func (t *routeByFieldT) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) {
		return true, nil
	}
	v, ok := routeColumn(ev, t.column)
	if !ok || v == nil {
		return true, nil
	}
	var buf [128]byte
	b := buf[:0]
	for _, p := range t.parts {
		switch p.kind {
		case routeFmtLiteral:
			b = append(b, p.lit...)
		case routeFmtValue:
			b = appendText(b, v, false)
		case routeFmtDestination:
			b = append(b, ev.Destination...)
		case routeFmtTable:
			b = append(b, ev.Table.Name...)
		}
	}
	ev.Destination = string(b)
	return true, nil
}

// routeColumn finds a column's value for routing and partitioning: in the state row
// (After, Before for deletes), in Before when the state row has it unchanged, in Key
// when the state row lacks it. ok is false when the value is not known (missing, or
// unchanged with no old value).
func routeColumn(ev *cdc.Event, column string) (v any, ok bool) {
	v, ok = ev.Row().Get(column)
	if !ok {
		return ev.Key.Get(column)
	}
	if cdc.IsUnchanged(v) {
		if bv, found := ev.Before.Get(column); found && !cdc.IsUnchanged(bv) {
			return bv, true
		}
		if kv, found := ev.Key.Get(column); found && !cdc.IsUnchanged(kv) {
			return kv, true
		}
		return v, false
	}
	return v, true
}

// RouteByOp sets Event.Destination by operation: creates and snapshot reads go to
// creates, updates to updates, deletes to deletes. An empty name leaves those events'
// destination as it is, and so do other events (truncate, message, schema).
func RouteByOp(creates, updates, deletes string) cdc.Transform {
	return &routeByOpT{creates: creates, updates: updates, deletes: deletes}
}

type routeByOpT struct {
	creates, updates, deletes string
}

func (t *routeByOpT) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	var d string
	switch ev.Op {
	case cdc.OpCreate, cdc.OpRead:
		d = t.creates
	case cdc.OpUpdate:
		d = t.updates
	case cdc.OpDelete:
		d = t.deletes
	}
	if d != "" {
		ev.Destination = d
	}
	return true, nil
}

// ContentRoute is one route of ContentRouter: events for which the boolean event
// expression Expr holds go to Destination.
type ContentRoute struct {
	Expr        string
	Destination string
}

// ContentRouter sets Event.Destination by the content of row changes, like Debezium's
// ContentBasedRouter: the first route whose expression holds wins; when none does the
// destination becomes defaultDest, or stays as it is when defaultDest is empty. The
// expressions are event expressions (see the package documentation), compiled now.
// Events that are not row changes keep their destination.
//
// An expression that fails on an event (NULL compared with a number, a field of an
// absent row: a delete has no after) makes Apply return an error naming the
// expression and the table; the engine stops. Guard such expressions:
// (after?.amount ?? 0) > 100.
//
// ContentRouter returns an error wrapping cdc.ErrInvalidConfig when there are no
// routes, a route has an empty expression or destination, or an expression does not
// compile or is not boolean.
func ContentRouter(routes []ContentRoute, defaultDest string) (cdc.Transform, error) {
	if len(routes) == 0 {
		return nil, shapeConfigErr("ContentRouter", "no routes: give at least one ContentRoute")
	}
	t := &contentRouterT{def: defaultDest, routes: make([]contentRoute, len(routes))}
	for i, r := range routes {
		if r.Expr == "" {
			return nil, shapeConfigErr("ContentRouter", "route %d has an empty Expr: give a boolean expression", i)
		}
		if r.Destination == "" {
			return nil, shapeConfigErr("ContentRouter", "route %d (%q) has an empty Destination: name where matching events go", i, r.Expr)
		}
		e, err := compileEventExpr(r.Expr, true)
		if err != nil {
			return nil, fmt.Errorf("ContentRouter route %d: %w", i, err)
		}
		t.routes[i] = contentRoute{e: e, dest: r.Destination}
	}
	return t, nil
}

// MustContentRouter is ContentRouter that panics on bad routes, for routes written in
// code.
func MustContentRouter(routes []ContentRoute, defaultDest string) cdc.Transform {
	t, err := ContentRouter(routes, defaultDest)
	if err != nil {
		panic(err)
	}
	return t
}

type contentRoute struct {
	e    *eventExpr
	dest string
}

type contentRouterT struct {
	routes []contentRoute
	def    string
}

func (t *contentRouterT) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) {
		return true, nil
	}
	for _, r := range t.routes {
		ok, err := r.e.bool(ev)
		if err != nil {
			return false, err
		}
		if ok {
			ev.Destination = r.dest
			return true, nil
		}
	}
	if t.def != "" {
		ev.Destination = t.def
	}
	return true, nil
}

// HeaderPartitionKey is the header PartitionKey sets.
const HeaderPartitionKey = "partition_key"

// PartitionKey sets the header HeaderPartitionKey of row changes to a uint64 hash of
// the named columns, for sinks that spread events over partitions or workers: take
// the hash modulo the partition count. Events of one row get one hash, so their order
// is kept within a partition.
//
// The columns are read like RouteByField's: from After, or Before for deletes (a value
// there that is cdc.Unchanged from Before), and from Key when the row lacks the column;
// a column found nowhere counts as NULL. With no columns the hash covers the Key
// columns, in Key's order; events without a Key then get no header. Partition on
// columns every event carries: with PostgreSQL's default replica identity, deletes
// carry only the key columns. An unchanged value with no old value to take its place
// makes Apply return an error, rather than put the event in another partition.
//
// The hash is FNV-1a (64 bits) over, for each column in order, the byte 0 for NULL, or
// the byte 1, the length of the value's text as an unsigned varint and the text. The
// text is that of RouteByField, except that cdc.Decimal drops trailing fractional
// zeros ("1.50" and "1.5" hash alike). The hash has no seed and depends on nothing but
// the values: it is the same across restarts, processes, machines and releases, so
// another program can compute it. It changes when the listed columns change, or when
// a column's values change text (an integer column turned into text does not; a
// timestamp turned into a date does).
func PartitionKey(columns ...string) cdc.Transform {
	for i, c := range columns {
		if c == "" {
			return shapeFailed{shapeConfigErr("PartitionKey", "column %d is empty: name a column, or none to hash the key", i)}
		}
	}
	return &partitionKeyT{columns: append([]string(nil), columns...)}
}

type partitionKeyT struct {
	columns []string
}

const (
	routeFNVOffset = 14695981039346656037
	routeFNVPrime  = 1099511628211
)

func routeFNV(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= routeFNVPrime
	}
	return h
}

func routeHashValue(h uint64, buf []byte, v any) uint64 {
	if v == nil {
		return routeFNV(h, []byte{0})
	}
	text := appendText(buf[:0], v, true)
	var head [1 + binary.MaxVarintLen64]byte
	head[0] = 1
	n := binary.PutUvarint(head[1:], uint64(len(text)))
	h = routeFNV(h, head[:1+n])
	return routeFNV(h, text)
}

func (t *partitionKeyT) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	if !shapeRowOp(ev.Op) {
		return true, nil
	}
	var buf [128]byte
	h := uint64(routeFNVOffset)
	if len(t.columns) == 0 {
		if ev.Key.IsZero() {
			return true, nil
		}
		for i := 0; i < ev.Key.Len(); i++ {
			h = routeHashValue(h, buf[:], ev.Key.At(i))
		}
	} else {
		for _, c := range t.columns {
			v, ok := routeColumn(ev, c)
			if !ok {
				if cdc.IsUnchanged(v) {
					return false, fmt.Errorf("transform: PartitionKey: column %q of %s event of %s is unchanged (a TOAST value) and the event carries no old value: partition on columns that are always sent",
						c, ev.Op, ev.Table)
				}
				v = nil
			}
			h = routeHashValue(h, buf[:], v)
		}
	}
	ev.SetHeader(HeaderPartitionKey, h)
	return true, nil
}
