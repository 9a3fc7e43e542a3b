package apply

import (
	"errors"
	"fmt"

	"github.com/talospatch/talospatch/manifests"
)

var (
	// ErrAborted marks the failure that stopped a pass, as Talos stops its pass on it (for
	// example a missing namespace or a connection error); every later object is OutcomeNotAttempted.
	// errors.Is(err, ErrAborted) reports whether Apply's error includes such a failure.
	ErrAborted = errors.New("pass aborted")
	// ErrNamespaceNotFound is matched by a *MissingNamespaceError.
	ErrNamespaceNotFound = errors.New("namespace not found")
	// ErrInventory is wrapped by errors about reading or writing the inventory ConfigMap.
	ErrInventory = errors.New("inventory")
	// ErrNilObject is wrapped by the error about a nil object in the input.
	ErrNilObject = errors.New("nil object")
)

// Operations named by ObjectError.Op.
const (
	OpMap    = "map"    // REST mapping of the kind (discovery)
	OpGet    = "get"    // the existence check
	OpCreate = "create" // create (classic mode)
	OpApply  = "apply"  // server-side apply (inventory mode)
)

// ObjectError is the failure of one object.
type ObjectError struct {
	// Ref identifies the object.
	Ref manifests.ObjectRef
	// Op is the operation that failed: OpMap, OpGet, OpCreate or OpApply.
	Op string
	// Aborted reports whether this failure stopped the pass (Talos stops its pass on it);
	// otherwise Talos collects it and goes on with the next object.
	Aborted bool
	// Err is the underlying error, for example a *k8s.io/apimachinery/pkg/api/errors.StatusError
	// or a meta.NoKindMatchError.
	Err error
}

// Error implements error.
func (e *ObjectError) Error() string {
	msg := fmt.Sprintf("apply: %s %s: %v", e.Op, e.Ref, e.Err)
	if e.Aborted {
		msg += " (pass aborted)"
	}

	return msg
}

// Unwrap returns the underlying error.
func (e *ObjectError) Unwrap() error { return e.Err }

// Is reports whether the error stopped the pass, for errors.Is(err, ErrAborted).
func (e *ObjectError) Is(target error) bool { return target == ErrAborted && e.Aborted }

// MissingNamespaceError is the create of a namespaced object into a namespace that does not
// exist, which stops a Talos pass. The fix is a Namespace object in the same manifest (the
// applier, like Talos, sorts Namespaces first).
type MissingNamespaceError struct {
	// Namespace is the namespace that does not exist.
	Namespace string
	// Err is the API server's NotFound error.
	Err error
}

// Error implements error.
func (e *MissingNamespaceError) Error() string {
	return fmt.Sprintf("namespace %q does not exist; add a v1 Namespace %q to the manifest: %v", e.Namespace, e.Namespace, e.Err)
}

// Unwrap returns the API server's error.
func (e *MissingNamespaceError) Unwrap() error { return e.Err }

// Is matches ErrNamespaceNotFound.
func (e *MissingNamespaceError) Is(target error) bool { return target == ErrNamespaceNotFound }
