package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Level is a compatibility level, with Confluent Schema Registry's names and meaning.
type Level string

// Compatibility levels.
//
// BACKWARD: consumers using the new schema can read data written with the latest
// registered one. FORWARD: consumers using the latest registered schema can read data
// written with the new one. FULL: both. The TRANSITIVE forms compare with every
// registered version instead of the latest only. NONE: no check.
const (
	None               Level = "NONE"
	Backward           Level = "BACKWARD"
	BackwardTransitive Level = "BACKWARD_TRANSITIVE"
	Forward            Level = "FORWARD"
	ForwardTransitive  Level = "FORWARD_TRANSITIVE"
	Full               Level = "FULL"
	FullTransitive     Level = "FULL_TRANSITIVE"
)

// Levels lists every level.
var Levels = []Level{None, Backward, BackwardTransitive, Forward, ForwardTransitive, Full, FullTransitive}

// ParseLevel accepts the level names, case-insensitively.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToUpper(strings.TrimSpace(s)))
	for _, k := range Levels {
		if k == l {
			return l, nil
		}
	}
	return "", fmt.Errorf("schema: unknown compatibility level %q: use one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE", s)
}

func (l Level) backward() bool {
	return l == Backward || l == BackwardTransitive || l == Full || l == FullTransitive
}

func (l Level) forward() bool {
	return l == Forward || l == ForwardTransitive || l == Full || l == FullTransitive
}

// Transitive reports whether the level compares with every version, not the latest only.
func (l Level) Transitive() bool {
	return l == BackwardTransitive || l == ForwardTransitive || l == FullTransitive
}

// Directions of a compatibility issue.
const (
	DirBackward = "backward" // the new schema reading data written with an older one
	DirForward  = "forward"  // an older schema reading data written with the new one
)

// Issue is one reason why a schema is not compatible.
type Issue struct {
	Direction string // DirBackward or DirForward
	Versions  []int  // the 1-based positions in the history this issue was found against
	Path      string // field path: "phone", "address.zip", "tags[]", "attrs{}"; "" is the whole schema
	Message   string // what is wrong and who cannot read what
	Fix       string // what to change
}

// Report is the result of a compatibility check.
type Report struct {
	Level           Level
	Compatible      bool
	Issues          []Issue
	Recommendations []string
}

// String renders the report for people: the verdict, each issue with its fix, then the
// recommendations.
func (r Report) String() string {
	var b strings.Builder
	if r.Compatible {
		fmt.Fprintf(&b, "compatible (%s)", r.Level)
	} else {
		fmt.Fprintf(&b, "not compatible (%s): %d issue(s)", r.Level, len(r.Issues))
	}
	for _, is := range r.Issues {
		b.WriteString("\n  - ")
		if len(is.Versions) > 0 {
			vs := make([]string, len(is.Versions))
			for i, v := range is.Versions {
				vs[i] = strconv.Itoa(v)
			}
			fmt.Fprintf(&b, "[%s, version %s] ", is.Direction, strings.Join(vs, ","))
		}
		b.WriteString(is.Message)
		if is.Fix != "" {
			b.WriteString("\n    fix: ")
			b.WriteString(is.Fix)
		}
	}
	for _, rec := range r.Recommendations {
		b.WriteString("\n  * ")
		b.WriteString(rec)
	}
	return b.String()
}

// Messages returns each issue as one line (message and fix), the form a Schema
// Registry's verbose compatibility answer carries.
func (r Report) Messages() []string {
	out := make([]string, len(r.Issues))
	for i, is := range r.Issues {
		out[i] = is.Message
		if is.Fix != "" {
			out[i] += "; fix: " + is.Fix
		}
	}
	return out
}

// Check tells whether next may follow history (oldest first) under level, with
// Confluent Schema Registry semantics: BACKWARD, FORWARD and FULL compare with the
// latest version only, their TRANSITIVE forms with every version, NONE never fails.
// An empty history is always compatible. Schemas are Avro JSON text.
func Check(history []string, next string, level Level) (Report, error) {
	nodes := make([]*Node, len(history))
	for i, h := range history {
		n, err := Parse(h)
		if err != nil {
			return Report{}, fmt.Errorf("history version %d: %w", i+1, err)
		}
		nodes[i] = n
	}
	n, err := Parse(next)
	if err != nil {
		return Report{}, fmt.Errorf("new schema: %w", err)
	}
	return CheckNodes(nodes, n, level)
}

// CheckNodes is Check on parsed schemas.
func CheckNodes(history []*Node, next *Node, level Level) (Report, error) {
	if _, err := ParseLevel(string(level)); err != nil {
		return Report{}, err
	}
	rep := Report{Level: level, Compatible: true}
	if level == None || len(history) == 0 {
		rep.Recommendations = recommendations(rep, nil)
		return rep, nil
	}
	first := len(history) - 1
	if level.Transitive() {
		first = 0
	}
	var warnings []string
	index := map[string]int{}
	add := func(is Issue, version int) {
		k := is.Direction + "\x00" + is.Path + "\x00" + is.Message
		if i, ok := index[k]; ok {
			rep.Issues[i].Versions = append(rep.Issues[i].Versions, version)
			return
		}
		is.Versions = []int{version}
		index[k] = len(rep.Issues)
		rep.Issues = append(rep.Issues, is)
	}
	for v := first; v < len(history); v++ {
		old := history[v]
		if level.backward() {
			r := newResolver(DirBackward)
			r.resolve("", next, old)
			for _, is := range r.issues {
				add(is, v+1)
			}
			warnings = appendUnique(warnings, r.warnings...)
		}
		if level.forward() {
			r := newResolver(DirForward)
			r.resolve("", old, next)
			for _, is := range r.issues {
				add(is, v+1)
			}
			warnings = appendUnique(warnings, r.warnings...)
		}
	}
	rep.Compatible = len(rep.Issues) == 0
	rep.Recommendations = recommendations(rep, warnings)
	return rep, nil
}

func appendUnique(list []string, more ...string) []string {
	for _, m := range more {
		if !contains(list, m) {
			list = append(list, m)
		}
	}
	return list
}

func recommendations(rep Report, warnings []string) []string {
	out := append([]string(nil), warnings...)
	if rep.Compatible {
		switch {
		case rep.Level == None:
			out = append(out, "level NONE: nothing was checked; consumers may fail on any change")
		case rep.Level.backward() && rep.Level.forward():
			out = append(out, "FULL compatibility: producers and consumers may be upgraded in any order")
		case rep.Level.backward():
			out = append(out, "BACKWARD compatibility: upgrade consumers before producers")
		case rep.Level.forward():
			out = append(out, "FORWARD compatibility: upgrade producers before consumers")
		}
		return out
	}
	var back, fwd, defaults bool
	for _, is := range rep.Issues {
		back = back || is.Direction == DirBackward
		fwd = fwd || is.Direction == DirForward
		defaults = defaults || strings.Contains(is.Message, "no default")
	}
	if defaults {
		out = append(out, `add and remove only fields that have a default (nullable columns get ["null", T] with "default": null): such changes are FULL compatible`)
	}
	if back && !fwd {
		out = append(out, "the change is not BACKWARD compatible: consumers on the new schema could not read existing data")
	}
	if fwd && !back {
		out = append(out, "the change is not FORWARD compatible: consumers still on the old schema could not read new data")
	}
	out = append(out, "if the break is intended, write to a new subject (a new topic or table name), or register with the subject's level set to NONE and upgrade every consumer first")
	return out
}

// resolver applies the Avro specification's schema resolution rules to a reader and
// a writer schema, recording what cannot be resolved.
type resolver struct {
	dir      string
	issues   []Issue
	warnings []string
	// visited holds the pairs of named types already resolved: each is resolved (and
	// its issues reported, at the path of its first use) once, which also ends the
	// recursion of recursive types.
	visited map[[2]*Node]bool
}

func newResolver(dir string) *resolver {
	return &resolver{dir: dir, visited: map[[2]*Node]bool{}}
}

// oldNew returns (old, new) from (reader, writer) according to the direction.
func (r *resolver) oldNew(rd, wr *Node) (*Node, *Node) {
	if r.dir == DirBackward {
		return wr, rd
	}
	return rd, wr
}

// who describes the reader that fails, for messages.
func (r *resolver) who() string {
	if r.dir == DirBackward {
		return "BACKWARD readers cannot read old data"
	}
	return "FORWARD readers (on the old schema) cannot read new data"
}

func (r *resolver) add(path, msg, fix string) {
	r.issues = append(r.issues, Issue{Direction: r.dir, Path: path, Message: msg, Fix: fix})
}

func (r *resolver) warn(msg string) {
	if !contains(r.warnings, msg) {
		r.warnings = append(r.warnings, msg)
	}
}

func where(path string) string {
	if path == "" {
		return "the schema"
	}
	return "`" + path + "`"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// promotable reports whether the writer's primitive type can be read as the reader's.
func promotable(wr, rd string) bool {
	switch wr {
	case "int":
		return rd == "long" || rd == "float" || rd == "double"
	case "long":
		return rd == "float" || rd == "double"
	case "float":
		return rd == "double"
	case "string":
		return rd == "bytes"
	case "bytes":
		return rd == "string"
	}
	return false
}

// namesMatch: named types match by unqualified name, or through the reader's aliases.
func namesMatch(rd, wr *Node) bool {
	if rd.ShortName() == wr.ShortName() {
		return true
	}
	for _, a := range rd.Aliases {
		if a == wr.Name || shortName(a) == wr.ShortName() {
			return true
		}
	}
	return false
}

// matches is the specification's top-level "schemas match" test, without recursion.
func matches(rd, wr *Node) bool {
	if rd.Type == wr.Type {
		switch rd.Type {
		case "record", "enum", "fixed":
			return namesMatch(rd, wr)
		}
		return true
	}
	return promotable(wr.Type, rd.Type)
}

// clean reports whether reading wr with rd raises no issue (a trial resolution).
func (r *resolver) clean(path string, rd, wr *Node) (bool, *resolver) {
	// The trial sees the pairs already resolved (or being resolved: recursion) as
	// resolved, so that recursive types end and issues are not counted twice.
	t := &resolver{dir: r.dir, visited: make(map[[2]*Node]bool, len(r.visited))}
	for k := range r.visited {
		t.visited[k] = true
	}
	t.resolve(path, rd, wr)
	return len(t.issues) == 0, t
}

func (r *resolver) resolve(path string, rd, wr *Node) {
	if rd.Name != "" && wr.Name != "" {
		key := [2]*Node{rd, wr}
		if r.visited[key] {
			return
		}
		r.visited[key] = true
	}

	if wr.Type == "union" {
		r.resolveWriterUnion(path, rd, wr)
		return
	}
	if rd.Type == "union" {
		r.resolveReaderUnion(path, rd, wr)
		return
	}
	if !matches(rd, wr) {
		r.mismatch(path, rd, wr)
		return
	}
	switch rd.Type {
	case "record":
		r.resolveRecord(path, rd, wr)
	case "enum":
		r.resolveEnum(path, rd, wr)
	case "array":
		r.resolve(path+"[]", rd.Items, wr.Items)
	case "map":
		r.resolve(path+"{}", rd.Values, wr.Values)
	case "fixed":
		if rd.Size != wr.Size {
			o, n := r.oldNew(rd, wr)
			r.add(path, fmt.Sprintf("%s: fixed %s changed size from %d to %d bytes: %s", where(path), rd.ShortName(), o.Size, n.Size, r.who()),
				"keep the size; a different size needs a new fixed type in a new field")
			return
		}
		r.logical(path, rd, wr)
	default:
		r.logical(path, rd, wr)
	}
}

// logical compares logical types on matching underlying types: decimals must agree on
// precision and scale (the specification's rule); other changes only warn.
func (r *resolver) logical(path string, rd, wr *Node) {
	o, n := r.oldNew(rd, wr)
	if rd.LogicalType == "decimal" && wr.LogicalType == "decimal" {
		if rd.Precision != wr.Precision || rd.Scale != wr.Scale {
			what := "precision"
			switch {
			case rd.Scale != wr.Scale && rd.Precision != wr.Precision:
				what = "precision and scale"
			case rd.Scale != wr.Scale:
				what = "scale"
			}
			msg := fmt.Sprintf("%s: decimal changed %s from decimal(%d,%d) to decimal(%d,%d): Avro matches decimals only when precision and scale are equal",
				where(path), what, o.Precision, o.Scale, n.Precision, n.Scale)
			if rd.Scale != wr.Scale {
				msg += " (a different scale would rescale every value: 1.50 read as 0.150)"
			}
			r.add(path, msg+"; "+r.who(),
				"keep the decimal's precision and scale, or add a new field with the new precision and scale and stop writing the old one")
		}
		return
	}
	if rd.LogicalType != wr.LogicalType {
		on, nn := o.LogicalType, n.LogicalType
		if on == "" {
			on = "none"
		}
		if nn == "" {
			nn = "none"
		}
		r.warn(fmt.Sprintf("%s: logical type changed from %s to %s on the same %s: values are read unchanged but interpreted differently",
			where(path), on, nn, rd.Type))
	}
}

func (r *resolver) mismatch(path string, rd, wr *Node) {
	o, n := r.oldNew(rd, wr)
	if rd.Type == wr.Type { // named types whose names differ
		fix := fmt.Sprintf("keep the name %s, or add \"aliases\": [%q] to the renamed type", o.Name, o.Name)
		if r.dir == DirForward {
			fix = fmt.Sprintf("keep the name %s: consumers on the old schema do not know the new name", o.Name)
		}
		r.add(path, fmt.Sprintf("%s: %s %s was renamed to %s: named types match by name; %s",
			where(path), rd.Type, o.Name, n.Name, r.who()), fix)
		return
	}
	msg := fmt.Sprintf("%s changed type from %s to %s: ", where(path), o.typeName(), n.typeName())
	switch {
	case promotable(rd.Type, wr.Type): // the opposite direction would promote: a narrowing here
		msg += fmt.Sprintf("reading %s data as %s narrows, which Avro does not allow (it promotes only int → long → float → double and string ↔ bytes); ", wr.Type, rd.Type)
	}
	fix := "keep the old type, or add a new field with the new type and stop writing the old one"
	if r.dir == DirForward && promotable(o.Type, n.Type) {
		fix = fmt.Sprintf("%s → %s is a widening that only BACKWARD allows: under FORWARD or FULL keep %s, or add a new field", o.Type, n.Type, o.Type)
	}
	r.add(path, msg+r.who(), fix)
}

func (r *resolver) resolveRecord(path string, rd, wr *Node) {
	used := map[string]bool{}
	for _, rf := range rd.Fields {
		wf := wr.Field(rf.Name)
		if wf == nil {
			for _, a := range rf.Aliases {
				if wf = wr.Field(a); wf != nil {
					break
				}
			}
		}
		fp := join(path, rf.Name)
		if wf != nil {
			used[wf.Name] = true
			r.resolve(fp, rf.Type, wf.Type)
			continue
		}
		if rf.HasDefault {
			continue
		}
		// The reader needs the field and the writer does not have it.
		var unmatched []string
		for _, f := range wr.Fields {
			if rd.Field(f.Name) == nil && !aliased(rd, f.Name) {
				unmatched = append(unmatched, f.Name)
			}
		}
		if r.dir == DirBackward {
			fix := fmt.Sprintf("give `%s` a default, or make it nullable ([\"null\", ...] with \"default\": null)", rf.Name)
			if len(unmatched) == 1 {
				fix += fmt.Sprintf("; if it renames `%s`, add \"aliases\": [%q] to it", unmatched[0], unmatched[0])
			}
			r.add(fp, fmt.Sprintf("new field `%s` has no default: %s; give it a default or make it nullable", fp, r.who()), fix)
		} else {
			r.add(fp, fmt.Sprintf("field `%s` was removed or renamed and has no default in the old schema: %s", fp, r.who()),
				fmt.Sprintf("keep `%s`; to drop it, first register a version where it has a default (or is nullable), and drop it once every consumer has that version", rf.Name))
		}
	}
}

func aliased(rec *Node, writerField string) bool {
	for _, f := range rec.Fields {
		if contains(f.Aliases, writerField) {
			return true
		}
	}
	return false
}

func (r *resolver) resolveEnum(path string, rd, wr *Node) {
	var missing []string
	for _, s := range wr.Symbols {
		if !contains(rd.Symbols, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return
	}
	if rd.HasEnumDefault {
		r.warn(fmt.Sprintf("%s: enum symbols %s are read as the default symbol %s", where(path), strings.Join(missing, ", "), rd.EnumDefault))
		return
	}
	if r.dir == DirBackward {
		r.add(path, fmt.Sprintf("%s: enum %s lost symbols %s and has no default symbol: %s holding them",
			where(path), rd.ShortName(), strings.Join(missing, ", "), r.who()),
			"keep the symbols, or give the new enum a \"default\" symbol")
		return
	}
	r.add(path, fmt.Sprintf("%s: enum %s gained symbols %s and the old enum has no default symbol: %s holding them",
		where(path), rd.ShortName(), strings.Join(missing, ", "), r.who()),
		"first register a version whose enum has a \"default\" symbol and upgrade consumers to it, then add symbols")
}

func (r *resolver) resolveWriterUnion(path string, rd, wr *Node) {
	for _, wb := range wr.Branches {
		if rd.Type == "union" {
			if r.readableByUnion(path, rd, wb) {
				continue
			}
		} else {
			if ok, t := r.clean(path, rd, wb); ok {
				r.warnings = appendUnique(r.warnings, t.warnings...)
				continue
			}
			if matches(rd, wb) {
				r.resolve(path, rd, wb) // report the nested differences
				continue
			}
		}
		if wb.Type == "null" {
			if r.dir == DirBackward {
				r.add(path, fmt.Sprintf("%s is no longer nullable: %s, which may hold null", where(path), r.who()),
					"keep the field nullable, or add a new non-null field")
			} else {
				r.add(path, fmt.Sprintf("%s became nullable: %s, which may hold null", where(path), r.who()),
					"keep the field non-null, or add a new nullable field")
			}
			continue
		}
		// A nullable type whose non-null part changed: report the underlying change.
		rn, rok := rd.NonNull()
		_, wok := wr.NonNull()
		if wok && (rok || rd.Type != "union") {
			r.mismatch(path, rn, wb)
			continue
		}
		o, n := r.oldNew(rd, wr)
		r.add(path, fmt.Sprintf("%s changed type from %s to %s: values of type %s cannot be read as %s; %s",
			where(path), o.typeName(), n.typeName(), wb.typeName(), rd.typeName(), r.who()),
			"keep every branch the old union had, or add a new field")
	}
}

// readableByUnion reports whether some branch of the reader union reads wb cleanly.
func (r *resolver) readableByUnion(path string, rd, wb *Node) bool {
	for _, b := range rd.Branches {
		if ok, _ := r.clean(path, b, wb); ok {
			return true
		}
	}
	// Not cleanly: report the issues of the first branch that matches at the top level
	// (a nested record change inside a nullable record, for example).
	for _, b := range rd.Branches {
		if matches(b, wb) {
			r.resolve(path, b, wb)
			return true
		}
	}
	return false
}

func (r *resolver) resolveReaderUnion(path string, rd, wr *Node) {
	for _, b := range rd.Branches {
		if ok, t := r.clean(path, b, wr); ok {
			r.warnings = appendUnique(r.warnings, t.warnings...)
			return
		}
	}
	for _, b := range rd.Branches {
		if matches(b, wr) {
			r.resolve(path, b, wr)
			return
		}
	}
	if nn, ok := rd.NonNull(); ok {
		r.mismatch(path, nn, wr)
		return
	}
	o, n := r.oldNew(rd, wr)
	r.add(path, fmt.Sprintf("%s changed type from %s to %s: no branch of the union reads %s; %s",
		where(path), o.typeName(), n.typeName(), wr.typeName(), r.who()),
		"keep a union branch of the old type")
}
