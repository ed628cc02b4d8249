package schema

import (
	"fmt"
	"strings"
)

// Step is one change of an evolution plan.
type Step struct {
	Path   string   // field path, as in Issue
	Change string   // the change in words: "add field `phone` (nullable, default null)"
	Breaks []string // the directions it breaks (DirBackward, DirForward); empty when safe
	Issues []Issue  // why it breaks, with fixes
}

// Safe reports whether the step breaks neither direction.
func (s Step) Safe() bool { return len(s.Breaks) == 0 }

// EvolutionPlan lists the changes from one schema to the next: safe changes first,
// then the breaking ones, each flagged with the directions it breaks.
type EvolutionPlan struct {
	Steps []Step
	// Level is the strongest level the whole change satisfies: Full, Backward, Forward
	// or None (neither direction).
	Level Level
	// Report is the FULL compatibility check of the change.
	Report Report
}

// String renders the plan, one step a line.
func (p EvolutionPlan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "evolution plan (satisfies %s): %d step(s)", p.Level, len(p.Steps))
	for _, s := range p.Steps {
		if s.Safe() {
			fmt.Fprintf(&b, "\n  safe:     %s", s.Change)
			continue
		}
		fmt.Fprintf(&b, "\n  BREAKING: %s (breaks %s)", s.Change, strings.ToUpper(strings.Join(s.Breaks, ", ")))
		for _, is := range s.Issues {
			if is.Fix != "" {
				fmt.Fprintf(&b, "\n            fix: %s", is.Fix)
			}
		}
	}
	return b.String()
}

// Plan computes the evolution plan from old to next (Avro JSON texts).
func Plan(old, next string) (EvolutionPlan, error) {
	o, err := Parse(old)
	if err != nil {
		return EvolutionPlan{}, fmt.Errorf("old schema: %w", err)
	}
	n, err := Parse(next)
	if err != nil {
		return EvolutionPlan{}, fmt.Errorf("new schema: %w", err)
	}
	return PlanNodes(o, n), nil
}

// PlanNodes is Plan on parsed schemas.
func PlanNodes(old, next *Node) EvolutionPlan {
	d := &differ{seen: map[[2]*Node]bool{}}
	d.node("", old, next)
	var plan EvolutionPlan
	for _, s := range d.steps {
		if s.Safe() {
			plan.Steps = append(plan.Steps, s)
		}
	}
	for _, s := range d.steps {
		if !s.Safe() {
			plan.Steps = append(plan.Steps, s)
		}
	}
	plan.Report, _ = CheckNodes([]*Node{old}, next, Full)
	var back, fwd bool
	for _, is := range plan.Report.Issues {
		back = back || is.Direction == DirBackward
		fwd = fwd || is.Direction == DirForward
	}
	switch {
	case !back && !fwd:
		plan.Level = Full
	case !back:
		plan.Level = Backward
	case !fwd:
		plan.Level = Forward
	default:
		plan.Level = None
	}
	return plan
}

type differ struct {
	steps []Step
	seen  map[[2]*Node]bool
}

// step adds a change whose breaks are found by resolving next against old both ways.
func (d *differ) resolved(path, change string, old, next *Node) {
	s := Step{Path: path, Change: change}
	back := newResolver(DirBackward)
	back.resolve(path, next, old)
	fwd := newResolver(DirForward)
	fwd.resolve(path, old, next)
	if len(back.issues) > 0 {
		s.Breaks = append(s.Breaks, DirBackward)
		s.Issues = append(s.Issues, back.issues...)
	}
	if len(fwd.issues) > 0 {
		s.Breaks = append(s.Breaks, DirForward)
		s.Issues = append(s.Issues, fwd.issues...)
	}
	d.steps = append(d.steps, s)
}

func (d *differ) node(path string, old, next *Node) {
	k := [2]*Node{old, next}
	if d.seen[k] {
		return
	}
	d.seen[k] = true
	if oo, ok := old.NonNull(); ok {
		if nn, ok := next.NonNull(); ok {
			old, next = oo, nn
		}
	}
	if old.Type == "record" && next.Type == "record" {
		if old.Name != next.Name {
			d.resolved(path, fmt.Sprintf("rename record %s to %s", old.Name, next.Name),
				&Node{Type: "record", Name: old.Name}, &Node{Type: "record", Name: next.Name, Aliases: next.Aliases})
		}
		d.record(path, old, next)
		return
	}
	if old.String() != next.String() {
		d.resolved(path, fmt.Sprintf("change %s from %s to %s", where(path), old.typeName(), next.typeName()), old, next)
	}
}

func describe(f *Field) string {
	t := f.Type.typeName()
	if nn, ok := f.Type.NonNull(); ok {
		t = "nullable " + nn.typeName()
	}
	if f.HasDefault {
		return fmt.Sprintf("%s, default %s", t, jsonText(f.Default))
	}
	return t + ", no default"
}

func (d *differ) record(path string, old, next *Node) {
	matched := map[string]bool{}
	for _, nf := range next.Fields {
		of := old.Field(nf.Name)
		if of == nil {
			for _, a := range nf.Aliases {
				if of = old.Field(a); of != nil {
					break
				}
			}
		}
		fp := join(path, nf.Name)
		if of == nil {
			s := Step{Path: fp, Change: fmt.Sprintf("add field `%s` (%s)", fp, describe(nf))}
			if !nf.HasDefault {
				s.Breaks = []string{DirBackward}
				r := newResolver(DirBackward)
				r.resolve(path, &Node{Type: "record", Name: next.Name, Fields: []*Field{nf}}, &Node{Type: "record", Name: next.Name})
				s.Issues = r.issues
			}
			d.steps = append(d.steps, s)
			continue
		}
		matched[of.Name] = true
		if of.Name != nf.Name {
			s := Step{Path: fp, Change: fmt.Sprintf("rename field `%s` to `%s` (alias %q)", join(path, of.Name), fp, of.Name)}
			if !of.HasDefault {
				s.Breaks = []string{DirForward}
				r := newResolver(DirForward)
				r.resolve(path, &Node{Type: "record", Name: old.Name, Fields: []*Field{of}},
					&Node{Type: "record", Name: old.Name, Fields: []*Field{{Name: nf.Name, Type: nf.Type}}})
				s.Issues = r.issues
			}
			d.steps = append(d.steps, s)
		}
		if of.Type.String() != nf.Type.String() {
			d.node(fp, of.Type, nf.Type)
		}
		if of.HasDefault != nf.HasDefault || jsonText(of.Default) != jsonText(nf.Default) {
			s := Step{Path: fp, Change: fmt.Sprintf("change the default of `%s` from %s to %s", fp, defaultText(of), defaultText(nf))}
			d.steps = append(d.steps, s)
		}
	}
	for _, of := range old.Fields {
		if matched[of.Name] {
			continue
		}
		fp := join(path, of.Name)
		s := Step{Path: fp, Change: fmt.Sprintf("remove field `%s` (%s)", fp, describe(of))}
		if !of.HasDefault {
			s.Breaks = []string{DirForward}
			r := newResolver(DirForward)
			r.resolve(path, &Node{Type: "record", Name: old.Name, Fields: []*Field{of}}, &Node{Type: "record", Name: old.Name})
			s.Issues = r.issues
		}
		d.steps = append(d.steps, s)
	}
}

func defaultText(f *Field) string {
	if !f.HasDefault {
		return "none"
	}
	return jsonText(f.Default)
}
