package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"
	tparse "text/template/parse"
)

// treeError is a template that checkTree refuses: where, and why. It
// wraps ErrTemplateLimit.
type treeError struct {
	line, col int
	msg       string
}

func (e *treeError) Error() string { return fmt.Sprintf("line %d, col %d: %s", e.line, e.col, e.msg) }

func (e *treeError) Unwrap() error { return ErrTemplateLimit }

// checkTree makes sure that t, and every template it defines, ends after
// a bounded number of steps, whatever its data: text/template only loops
// in range and in a {{template}} that calls itself, again or through
// others, so t may hold neither, and it may run at most MaxTemplateSteps
// actions, text and values, counting a defined template once for each
// {{template}} that calls it (a chain of templates that each call the
// next twice runs an exponential number of steps). Its actions nest at
// most maxTemplateDepth deep. The functions it calls are bounded by
// budget.
func checkTree(t *template.Template) error {
	w := &treeWalker{root: t, steps: map[string]int{}, open: map[string]bool{}}
	var names []string
	for _, d := range t.Templates() {
		names = append(names, d.Name())
	}
	slices.Sort(names) // the same error for the same text, each time
	for _, name := range names {
		if _, err := w.template(name); err != nil {
			return err
		}
	}
	return nil
}

// treeWalker counts the steps of the templates of root.
type treeWalker struct {
	root  *template.Template
	steps map[string]int  // the steps of each template walked
	open  map[string]bool // the templates being walked: calling one is recursion
}

// template returns the steps of the named template: at most
// MaxTemplateSteps, or an error.
func (w *treeWalker) template(name string) (int, error) {
	if n, ok := w.steps[name]; ok {
		return n, nil
	}
	d := w.root.Lookup(name)
	if d == nil || d.Tree == nil || d.Root == nil {
		return 0, nil // text/template says so when it runs
	}
	w.open[name] = true
	defer delete(w.open, name)
	c := &treeCount{w: w, name: name, tree: d.Tree}
	if err := c.node(d.Root, 0); err != nil {
		return 0, err
	}
	w.steps[name] = c.n
	return c.n, nil
}

// treeCount walks one template's tree.
type treeCount struct {
	w    *treeWalker
	name string
	tree *tparse.Tree
	n    int
}

// errorf returns a treeError at node n.
func (c *treeCount) errorf(n tparse.Node, format string, args ...any) error {
	e := &treeError{line: 1, col: 1, msg: fmt.Sprintf(format, args...)}
	loc, _ := c.tree.ErrorContext(n) // "template:LINE:COL"
	if parts := strings.Split(loc, ":"); len(parts) >= 3 {
		e.line, _ = strconv.Atoi(parts[len(parts)-2])
		e.col, _ = strconv.Atoi(parts[len(parts)-1])
	}
	return e
}

// add counts k more steps, reached at node n.
func (c *treeCount) add(n tparse.Node, k int) error {
	c.n += k
	if c.n > MaxTemplateSteps {
		what := "the template"
		if c.name != c.w.root.Name() {
			what = strconv.Quote(c.name)
		}
		return c.errorf(n, "here %s runs more than %d steps, counting a defined template once for each {{template}} that calls it; make it shorter", what, MaxTemplateSteps)
	}
	return nil
}

// node counts n and what it holds, depth levels below the template's root.
func (c *treeCount) node(n tparse.Node, depth int) error {
	if depth > maxTemplateDepth {
		return c.errorf(n, "nests actions, pipelines and parentheses more than %d deep", maxTemplateDepth)
	}
	if err := c.add(n, 1); err != nil {
		return err
	}
	switch n := n.(type) {
	case *tparse.ListNode:
		if n == nil {
			return nil
		}
		return c.nodes(depth, n.Nodes...)
	case *tparse.ActionNode:
		return c.nodes(depth, n.Pipe)
	case *tparse.PipeNode:
		if n == nil {
			return nil
		}
		for _, cmd := range n.Cmds {
			if err := c.node(cmd, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *tparse.CommandNode:
		if err := c.format(n); err != nil {
			return err
		}
		return c.nodes(depth, n.Args...)
	case *tparse.ChainNode:
		return c.nodes(depth, n.Node)
	case *tparse.IfNode:
		return c.branch(&n.BranchNode, depth)
	case *tparse.WithNode:
		return c.branch(&n.BranchNode, depth)
	case *tparse.RangeNode:
		return c.errorf(n, "range is not allowed: a template's data holds nothing to range over, and a range over a number can run for as long as the number says")
	case *tparse.TemplateNode:
		if c.w.open[n.Name] {
			return c.errorf(n, "{{template %q}} calls a template that is running: recursion is not allowed", n.Name)
		}
		if c.w.root.Lookup(n.Name) == nil {
			return c.errorf(n, "{{template %q}}: no such template is defined", n.Name)
		}
		if err := c.nodes(depth, n.Pipe); err != nil {
			return err
		}
		steps, err := c.w.template(n.Name)
		if err != nil {
			return err
		}
		return c.add(n, steps)
	case *tparse.TextNode, *tparse.FieldNode, *tparse.VariableNode, *tparse.DotNode, *tparse.NilNode,
		*tparse.BoolNode, *tparse.NumberNode, *tparse.StringNode, *tparse.IdentifierNode, *tparse.CommentNode,
		*tparse.BreakNode, *tparse.ContinueNode:
		return nil
	}
	return c.errorf(n, "holds an action rotatord does not know (%T); remove it", n)
}

// format checks the format of a printf whose format is written in the
// template, so that a width too large is refused before the template
// runs, even in a branch that the sample data does not take.
func (c *treeCount) format(n *tparse.CommandNode) error {
	if len(n.Args) < 2 {
		return nil
	}
	fn, ok := n.Args[0].(*tparse.IdentifierNode)
	if !ok || fn.Ident != "printf" {
		return nil
	}
	f, ok := n.Args[1].(*tparse.StringNode)
	if !ok {
		return nil
	}
	if _, err := checkFormat(f.Text); err != nil {
		msg := strings.TrimPrefix(err.Error(), ErrTemplateLimit.Error()+": ")
		if we, ok := err.(*widthError); ok {
			msg = we.shown() // the template's own text: no value
		}
		return c.errorf(n, "%s", msg)
	}
	return nil
}

// branch counts an if or a with: both branches, as either may run.
func (c *treeCount) branch(b *tparse.BranchNode, depth int) error {
	return c.nodes(depth, b.Pipe, b.List, b.ElseList)
}

// nodes counts each of ns that is not nil, one level deeper.
func (c *treeCount) nodes(depth int, ns ...tparse.Node) error {
	for _, n := range ns {
		if isNil(n) {
			continue
		}
		if err := c.node(n, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// isNil reports whether n is nil or a typed nil pointer of the node kinds
// that a tree leaves nil (an if without else, a template call without
// argument).
func isNil(n tparse.Node) bool {
	switch n := n.(type) {
	case nil:
		return true
	case *tparse.ListNode:
		return n == nil
	case *tparse.PipeNode:
		return n == nil
	}
	return false
}
