package config

import (
	"fmt"
	"reflect"
	"strconv"
	"text/template"
)

// budget is what the functions of one rendering of a template may still
// return, in bytes, all calls together. Its functions replace those of
// text/template that build strings (printf, print, println, html, js,
// urlquery): each works out the most it could return before it does any
// work, and refuses when that is more than MaxTemplateOutput, or more
// than is left. printf also refuses a width or precision over
// MaxTemplateWidth, and one taken from an argument (*). The other
// builtins (and, or, not, eq…, len, index, slice, call) return one of
// their arguments, a part of one, or a scalar: they need no bound.
//
// A budget belongs to one rendering, run by one goroutine.
type budget struct {
	left int
}

// funcs returns b's functions, under the names they replace.
func (b *budget) funcs() template.FuncMap {
	return template.FuncMap{
		"printf":   b.printf,
		"print":    b.print,
		"println":  b.println,
		"html":     b.escaper("html", template.HTMLEscaper),
		"js":       b.escaper("js", template.JSEscaper),
		"urlquery": b.escaper("urlquery", template.URLQueryEscaper),
	}
}

// Bounds of what fmt writes for one value, used before it writes it.
const (
	// growth is how many bytes fmt may write for one byte of a string:
	// "%# x" writes "0x41 ", %q writes "\x00".
	growth = 5
	// scalarSize is the most fmt writes for a number or a bool without
	// width or precision: %f of 1e308 has 316 characters.
	scalarSize = 400
	// overhead is what fmt may add around one value: "%!d(string=", ")".
	overhead = 64
)

// run returns f(), whose result is at most most bytes long, and takes
// its length from the budget. It fails without calling f when most is
// over MaxTemplateOutput or the budget is spent.
func (b *budget) run(fn string, most int, f func() string) (string, error) {
	if most > MaxTemplateOutput {
		return "", fmt.Errorf("%w: %s would return more than %s", ErrTemplateLimit, fn, size(MaxTemplateOutput))
	}
	if b.left <= 0 {
		return "", b.spent()
	}
	s := f()
	if b.left -= len(s); b.left < 0 {
		return "", b.spent()
	}
	return s, nil
}

func (b *budget) spent() error {
	return fmt.Errorf("%w: the template's functions return more than %s in all", ErrTemplateLimit, size(maxTemplateWork))
}

// printf is fmt.Sprintf, bounded.
func (b *budget) printf(format string, args ...any) (string, error) {
	verbs, err := checkFormat(format)
	if err != nil {
		return "", err
	}
	most, largest := len(format), 0
	for _, a := range args {
		n, err := valueSize("printf", reflect.ValueOf(a), 0)
		if err != nil {
			return "", err
		}
		most += growth*n + overhead // an extra argument is printed too
		largest = max(largest, n)
	}
	// A verb may print any argument ("%[2]s"), with a width and a
	// precision.
	most += verbs * (growth*largest + 2*MaxTemplateWidth + scalarSize + overhead)
	return b.run("printf", most, func() string { return fmt.Sprintf(format, args...) })
}

// print is fmt.Sprint, bounded.
func (b *budget) print(args ...any) (string, error) {
	return b.sprint("print", fmt.Sprint, args)
}

// println is fmt.Sprintln, bounded.
func (b *budget) println(args ...any) (string, error) {
	return b.sprint("println", fmt.Sprintln, args)
}

func (b *budget) sprint(fn string, f func(...any) string, args []any) (string, error) {
	most, err := argsSize(fn, args)
	if err != nil {
		return "", err
	}
	return b.run(fn, most, func() string { return f(args...) })
}

// escaper returns the escaping function f of text/template, bounded: an
// escape writes at most 6 bytes for one (js: "\u003C" for "<").
func (b *budget) escaper(fn string, f func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		most, err := argsSize(fn, args)
		if err != nil {
			return "", err
		}
		return b.run(fn, 6*most, func() string { return f(args...) })
	}
}

// argsSize is the most fmt.Sprint writes for args, printed with %v.
func argsSize(fn string, args []any) (int, error) {
	most := 1
	for _, a := range args {
		n, err := valueSize(fn, reflect.ValueOf(a), 0)
		if err != nil {
			return 0, err
		}
		most += n + 1
	}
	return most, nil
}

// valueSize is the most fmt writes for v with %v, before growth: the
// bytes of a string, scalarSize for a number, the sum of its fields for a
// struct such as TemplateData. A template holds nothing else; anything
// else is refused rather than measured by printing it.
func valueSize(fn string, v reflect.Value, depth int) (int, error) {
	if !v.IsValid() {
		return overhead, nil
	}
	switch v.Kind() {
	case reflect.String:
		return v.Len() + overhead, nil
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return 2 * scalarSize, nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Len() + overhead, nil
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return overhead, nil
		}
		if depth < 4 {
			return valueSize(fn, v.Elem(), depth+1)
		}
	case reflect.Struct:
		if depth >= 4 {
			break
		}
		n := len(v.Type().String()) + overhead
		for i := range v.NumField() {
			f, err := valueSize(fn, v.Field(i), depth+1)
			if err != nil {
				return 0, err
			}
			n += len(v.Type().Field(i).Name) + f + 4
		}
		return n, nil
	}
	return 0, fmt.Errorf("%w: %s cannot print a value of type %s", ErrTemplateLimit, fn, v.Type())
}

// checkFormat returns how many verbs format has (%% included), and an
// error for a width or precision over MaxTemplateWidth, or one taken from
// an argument.
func checkFormat(format string) (int, error) {
	verbs := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		verbs++
		inIndex := false
	spec:
		for i++; i < len(format); i++ {
			c := format[i]
			switch {
			case c == '[':
				inIndex = true
			case c == ']':
				inIndex = false
			case c == '*':
				return 0, fmt.Errorf("%w: printf may not take a width or precision from an argument (*); write the number", ErrTemplateLimit)
			case '0' <= c && c <= '9':
				j := i
				for j < len(format) && '0' <= format[j] && format[j] <= '9' {
					j++
				}
				if n, err := strconv.Atoi(format[i:j]); !inIndex && (err != nil || n > MaxTemplateWidth) {
					return 0, &widthError{format[i:j]}
				}
				i = j - 1
			case c == '+' || c == '-' || c == '#' || c == ' ' || c == '.' || inIndex:
			default:
				break spec // the verb itself
			}
		}
	}
	return verbs, nil
}

// widthError is a printf width or precision over MaxTemplateWidth. Its
// message leaves the number out: the format may come from the data.
// checkTree, which finds it in the template's text, shows it.
type widthError struct{ n string }

func (e *widthError) Error() string {
	return fmt.Sprintf("%s: printf: a width or precision is over the limit of %d", ErrTemplateLimit, MaxTemplateWidth)
}

func (e *widthError) Unwrap() error { return ErrTemplateLimit }

// shown returns the message with the number, cut short.
func (e *widthError) shown() string {
	n := e.n
	if len(n) > 12 {
		n = n[:12] + "…"
	}
	return fmt.Sprintf("printf: a width or precision of %s is over the limit of %d", n, MaxTemplateWidth)
}
