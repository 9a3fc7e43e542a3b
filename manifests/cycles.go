package manifests

import "github.com/talospatch/talospatch/internal/helmengine"

// ErrCyclicValue is wrapped by the error of a render whose templates put a dict inside itself
// (`set $d "self" $d`, or a merge whose source holds its destination). Printing or encoding
// such a value never ends: Helm's engine dies of a stack overflow, which no recover catches.
// The render refuses it where it is made, naming the template.
var ErrCyclicValue = helmengine.ErrCyclicValue
