package apply

import (
	"errors"
	"fmt"

	"github.com/talospatch/talospatch/manifests"
)

// Outcome is what happened to one object.
type Outcome int

// Outcomes. The zero value is OutcomeUnknown and never appears in a Result.
const (
	// OutcomeUnknown is the zero value.
	OutcomeUnknown Outcome = iota
	// OutcomeCreated: the object did not exist and was created (in a dry run: would be created).
	OutcomeCreated
	// OutcomeExists: the object already existed and was left untouched (no update, no diff). An
	// AlreadyExists answer to the create counts as OutcomeExists too, as in Talos.
	OutcomeExists
	// OutcomeInInventory: inventory mode only; the object is recorded in the inventory, so it was
	// skipped without any request, even if it no longer exists in the cluster.
	OutcomeInInventory
	// OutcomeFailed: the object was not created; Result.Err says why.
	OutcomeFailed
	// OutcomeNotAttempted: an earlier object stopped the pass (see ErrAborted), so this object was
	// never sent.
	OutcomeNotAttempted
	// OutcomeUnverified: dry run only; the object needs a Namespace or CustomResourceDefinition that
	// this same input would create first, so the server could not check it. Result.Err says
	// which one.
	OutcomeUnverified
)

var outcomeNames = [...]string{
	OutcomeUnknown:      "unknown",
	OutcomeCreated:      "created",
	OutcomeExists:       "exists",
	OutcomeInInventory:  "in-inventory",
	OutcomeFailed:       "failed",
	OutcomeNotAttempted: "not-attempted",
	OutcomeUnverified:   "unverified",
}

// String returns the outcome's name: created, exists, in-inventory, failed, not-attempted,
// unverified (or unknown).
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("Outcome(%d)", int(o))
	}

	return outcomeNames[o]
}

// MarshalText implements encoding.TextMarshaler; it rejects OutcomeUnknown and values out of
// range.
func (o Outcome) MarshalText() ([]byte, error) {
	if o <= OutcomeUnknown || int(o) >= len(outcomeNames) {
		return nil, fmt.Errorf("marshal outcome: %w: %d", ErrUnknownOutcome, int(o))
	}

	return []byte(outcomeNames[o]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts the names String returns,
// except "unknown".
func (o *Outcome) UnmarshalText(text []byte) error {
	for i, name := range outcomeNames {
		if i != int(OutcomeUnknown) && name == string(text) {
			*o = Outcome(i)

			return nil
		}
	}

	return fmt.Errorf("unmarshal outcome: %w: %q", ErrUnknownOutcome, text)
}

// ErrUnknownOutcome is wrapped by errors about outcome text or values that name no outcome.
var ErrUnknownOutcome = errors.New("unknown outcome")

// Result is what happened to one input object.
type Result struct {
	// Ref identifies the object as the applier sent it: the namespace is the one after
	// defaulting (a namespaced object without one goes to "default"; a cluster-scoped object
	// has none). When the kind could not be mapped, Namespace is as written.
	Ref manifests.ObjectRef
	// Outcome is what happened.
	Outcome Outcome
	// Err is why the object failed (OutcomeFailed: an *ObjectError), or for OutcomeUnverified why the server could
	// not check it. Nil otherwise.
	Err error
}

// String returns "<ref>: <outcome>", with ": <reason>" for failed and unverified objects.
func (r Result) String() string {
	if r.Err != nil {
		return r.Ref.String() + ": " + r.Outcome.String() + ": " + r.Err.Error()
	}

	return r.Ref.String() + ": " + r.Outcome.String()
}
