package postgres

import (
	"bytes"
	"errors"
	"fmt"
)

// maxArrayDims is PostgreSQL's MAXDIM: no array has more dimensions.
const maxArrayDims = 6

// parseArray decodes the text form of an array, as array_out writes it: '{1,2,3}',
// '{{1,2},{3,4}}', '{"a,b",NULL,"q\"uote"}', '{}', and with explicit bounds
// '[0:1]={1,2}' (the bounds are checked for syntax and dropped). It returns a []any,
// nested one level per dimension, with nil for NULL elements and elem's result for the
// others. delim is the element type's typdelim (',' for all built-in types but box,
// which uses ';'). elemName names the element type in errors.
//
// elem receives bytes that are only valid during the call (they may alias b or a
// scratch buffer), so it must copy what it keeps — all decoders in this package do.
func parseArray(b []byte, delim byte, elemName string, elem func([]byte) (any, error)) ([]any, error) {
	p := arrayParser{s: textScanner{b: b}, delim: delim, elemName: elemName, elem: elem}
	p.s.skipSpace()
	if p.s.peek() == '[' {
		if err := p.bounds(); err != nil {
			return nil, err
		}
	}
	if p.s.peek() != '{' {
		return nil, errors.New(`array must start with "{"`)
	}
	out, err := p.level(1)
	if err != nil {
		return nil, err
	}
	p.s.skipSpace()
	if !p.s.done() {
		return nil, fmt.Errorf("junk after closing brace at offset %d", p.s.i)
	}
	return out, nil
}

type arrayParser struct {
	s        textScanner
	delim    byte
	elemName string
	elem     func([]byte) (any, error)
	scratch  []byte
	count    int // elements so far, for error messages
}

// bounds reads the dimension decoration "[lo:hi][lo:hi]=" (or "[hi]").
func (p *arrayParser) bounds() error {
	dims := 0
	for p.s.accept('[') {
		dims++
		if dims > maxArrayDims {
			return fmt.Errorf("more than %d dimensions", maxArrayDims)
		}
		lo, ok := p.boundInt()
		hi := lo
		if ok && p.s.accept(':') {
			hi, ok = p.boundInt()
		}
		if !ok || !p.s.accept(']') || hi < lo-1 {
			return errors.New("invalid array bounds")
		}
		p.s.skipSpace()
	}
	if !p.s.accept('=') {
		return errors.New(`missing "=" after array bounds`)
	}
	p.s.skipSpace()
	return nil
}

func (p *arrayParser) boundInt() (int64, bool) {
	p.s.skipSpace()
	neg := p.s.accept('-')
	if !neg {
		p.s.accept('+')
	}
	n, ok := p.s.digits(1, 10)
	p.s.skipSpace()
	if neg {
		n = -n
	}
	return n, ok
}

// level reads "{...}" at dimension dim; the textScanner is on the '{'.
func (p *arrayParser) level(dim int) ([]any, error) {
	p.s.i++ // '{'
	out := []any{}
	p.s.skipSpace()
	if p.s.accept('}') {
		return out, nil
	}
	nested := p.s.peek() == '{'
	for {
		p.s.skipSpace()
		if p.s.peek() == '{' {
			if !nested {
				return nil, fmt.Errorf("unexpected \"{\" at offset %d: sub-arrays mixed with elements", p.s.i)
			}
			if dim >= maxArrayDims {
				return nil, fmt.Errorf("more than %d dimensions", maxArrayDims)
			}
			sub, err := p.level(dim + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, sub)
		} else {
			if nested {
				return nil, fmt.Errorf("element at offset %d among sub-arrays", p.s.i)
			}
			v, err := p.element()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		p.s.skipSpace()
		switch {
		case p.s.accept(p.delim):
		case p.s.accept('}'):
			return out, nil
		case p.s.done():
			return nil, errors.New("unterminated array")
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", p.s.peek(), p.s.i)
		}
	}
}

// element reads one element: quoted, or bare up to the delimiter or '}' (a bare NULL,
// in any case, is nil), and decodes it.
func (p *arrayParser) element() (any, error) {
	p.count++
	start := p.s.i
	var text []byte
	if p.s.accept('"') {
		buf := p.scratch[:0]
		for {
			if p.s.done() {
				return nil, errors.New("unterminated quoted element")
			}
			c := p.s.b[p.s.i]
			p.s.i++
			if c == '"' {
				break
			}
			if c == '\\' {
				if p.s.done() {
					return nil, errors.New("unterminated quoted element")
				}
				c = p.s.b[p.s.i]
				p.s.i++
			}
			buf = append(buf, c)
		}
		p.scratch = buf
		text = buf
	} else {
		escaped := false
		end := start // end of the element without trailing unescaped spaces
		for !p.s.done() {
			c := p.s.b[p.s.i]
			if c == p.delim || c == '}' {
				break
			}
			if c == '{' || c == '"' {
				return nil, fmt.Errorf("unexpected %q in element at offset %d", c, p.s.i)
			}
			p.s.i++
			if c == '\\' {
				if p.s.done() {
					return nil, errors.New("unterminated array")
				}
				escaped = true
				p.s.i++
				end = p.s.i
				continue
			}
			if !isPGSpace(c) {
				end = p.s.i
			}
		}
		raw := p.s.b[start:end]
		if len(raw) == 0 {
			return nil, fmt.Errorf("empty element at offset %d", start)
		}
		if !escaped {
			if bytes.EqualFold(raw, []byte("NULL")) {
				return nil, nil
			}
			text = raw
		} else {
			buf := p.scratch[:0]
			for i := 0; i < len(raw); i++ {
				if raw[i] == '\\' {
					i++
				}
				buf = append(buf, raw[i])
			}
			p.scratch = buf
			text = buf
		}
	}
	v, err := p.elem(text)
	if err != nil {
		return nil, fmt.Errorf("element %d: cannot decode %s value %s: %w", p.count, p.elemName, clipInput(text), err)
	}
	return v, nil
}
