package helmengine

import (
	"reflect"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
)

// printGuardName is the function that bounds what an action prints. text/template prints a
// value that is not a string with fmt, which formats the whole value in memory before the
// writer (and its limits) sees a byte: a dict that holds one large string many times, printed
// as {{ $d }}, would take the process down. Each printing action whose value may be such a
// value gets `| printGuardName` appended to its pipeline when it is parsed; the function
// passes the value through unchanged, or refuses it when it is larger than the Output limit.
// Templates cannot name it (the parser does not know it), so a chart cannot call it.
const printGuardName = "talospatchBoundPrint"

// printGuard is the function bound to printGuardName in a render with budget b.
func printGuard(b *budget) func(any) (any, error) {
	return func(v any) (any, error) {
		switch v.(type) {
		case string, bool, int, int64, float64, nil:
			return v, nil // sized by the writer as it is written
		}

		if sizeOf(v, 0, b.lim.Output) > b.lim.Output {
			return nil, b.over("Output", b.lim.Output, "print")
		}

		return v, nil
	}
}

// scalarFuncs are the functions whose result is a string, a number or a bool: a pipeline
// ending in one of them needs no guard (the writer bounds what it prints). They are Helm's
// functions whose first result has such a type, and text/template's built-ins of that kind.
var scalarFuncs = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{
		"print": true, "printf": true, "println": true, "html": true, "js": true, "urlquery": true,
		"len": true, "eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true, "not": true,
	}

	for name, fn := range helmFuncs() {
		t := reflect.TypeOf(fn)
		if t.Kind() != reflect.Func || t.NumOut() == 0 {
			continue
		}

		switch t.Out(0).Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			out[name] = true
		}
	}

	// Bound per render to functions with other signatures, but strings all the same.
	out["include"], out["tpl"] = true, true

	return out
})

// guardPrints appends the print guard to every action under n that prints a value which may
// be a list, a dict or another composite value. It changes the tree in place; a tree already
// guarded is left as it is.
func guardPrints(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}

		for _, c := range n.Nodes {
			guardPrints(c)
		}
	case *parse.ActionNode:
		guardPipe(n.Pipe)
	case *parse.IfNode:
		guardPrints(n.List)
		guardPrints(n.ElseList)
	case *parse.RangeNode:
		guardPrints(n.List)
		guardPrints(n.ElseList)
	case *parse.WithNode:
		guardPrints(n.List)
		guardPrints(n.ElseList)
	}
}

// guardPipe appends the guard to the pipeline of a printing action.
func guardPipe(p *parse.PipeNode) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) == 0 {
		return // an assignment prints nothing
	}

	last := p.Cmds[len(p.Cmds)-1]
	if len(last.Args) == 0 {
		return
	}

	switch a := last.Args[0].(type) {
	case *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		if len(last.Args) == 1 {
			return
		}
	case *parse.IdentifierNode:
		if a.Ident == printGuardName || scalarFuncs()[a.Ident] {
			return
		}
	}

	guard := parse.NewIdentifier(printGuardName).SetPos(last.Pos)
	p.Cmds = append(p.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: last.Pos, Args: []parse.Node{guard}})
}

// guardTplDefines guards the templates that text, parsed by tpl into set (a clone of parent),
// defined: they are new trees, not parent's, which are guarded when parsed and shared.
func guardTplDefines(text string, set, parent *template.Template) {
	if !strings.Contains(text, "define") && !strings.Contains(text, "block") {
		return
	}

	for _, t := range set.Templates() {
		if t.Tree == nil {
			continue
		}

		if old := parent.Lookup(t.Name()); old != nil && old.Tree == t.Tree {
			continue
		}

		guardPrints(t.Tree.Root)
	}
}
