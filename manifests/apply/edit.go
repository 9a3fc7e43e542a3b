package apply

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/talospatch/talospatch/config"

	"github.com/talospatch/talospatch/internal/machineryseam"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/talos"
)

// ErrNoControlPlane is returned by [CompareConfigs] when one side holds no control-plane config:
// inline manifests live in control-plane configs only.
var ErrNoControlPlane = errors.New("no control-plane config")

// ErrDuplicateObject is wrapped by errors about an object that two documents of the inline
// manifests define (the same group, kind, namespace and name).
var ErrDuplicateObject = errors.New("object defined twice")

// Action is what an edit of the inline manifests does to one object.
type Action int

// Actions. The zero value is ActionUnknown and never appears in an [Edit].
const (
	// ActionUnknown is the zero value.
	ActionUnknown Action = iota
	// ActionCreate: the object is new in the edited manifests.
	ActionCreate
	// ActionUpdate: the object is in both, with different fields; ObjectChange.Fields lists them.
	ActionUpdate
	// ActionUnchanged: the object is in both, field for field the same.
	ActionUnchanged
	// ActionPrune: the object left the manifests; `talosctl upgrade-k8s` deletes it unless pruning is
	// turned off (--manifests-no-prune).
	ActionPrune
)

var actionNames = [...]string{
	ActionUnknown:   "unknown",
	ActionCreate:    "create",
	ActionUpdate:    "update",
	ActionUnchanged: "unchanged",
	ActionPrune:     "prune",
}

// String returns the action's name: create, update, unchanged, prune (or unknown).
func (a Action) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("Action(%d)", int(a))
	}

	return actionNames[a]
}

// FieldChange is one field of an updated object that the edit adds, removes or changes.
type FieldChange struct {
	// Path is the field's RFC 6901 JSON pointer in the object, for example
	// "/spec/template/spec/containers/0/image".
	Path string
	// Before and After are the values (JSON types: string, int64, float64, bool, nil, map,
	// slice). Before is meaningless when !InBefore, After when !InAfter.
	Before, After any
	// InBefore and InAfter say whether the field exists on each side.
	InBefore, InAfter bool
}

// String returns "+ PATH: NEW", "- PATH: OLD" or "~ PATH: OLD -> NEW"; values are JSON, long
// ones shortened.
func (f FieldChange) String() string {
	switch {
	case !f.InBefore:
		return "+ " + f.Path + ": " + brief(f.After)
	case !f.InAfter:
		return "- " + f.Path + ": " + brief(f.Before)
	default:
		return "~ " + f.Path + ": " + brief(f.Before) + " -> " + brief(f.After)
	}
}

// briefLimit is how much of a value FieldChange.String shows.
const briefLimit = 120

// brief encodes v as JSON, shortened to briefLimit bytes with the full size named.
func brief(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}

	if len(data) <= briefLimit {
		return string(data)
	}

	cut := briefLimit
	for cut > 0 && data[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}

	return string(data[:cut]) + "... (" + strconv.Itoa(len(data)) + " bytes)"
}

// ObjectChange is what an edit does to one object.
type ObjectChange struct {
	// Ref names the object as written in the manifests (after the edit; before it for ActionPrune).
	Ref manifests.ObjectRef
	// Manifest is the inline manifest holding the object (after the edit; before it for
	// ActionPrune).
	Manifest string
	// Action is what the edit does to the object.
	Action Action
	// Fields are the changed fields of an ActionUpdate, in path order; nil otherwise.
	Fields []FieldChange
	// Before and After are the object on each side; nil where it does not exist.
	Before, After *unstructured.Unstructured
}

// String returns "ACTION REF (manifest NAME)", followed for an update by one indented line per
// field.
func (c ObjectChange) String() string {
	return withFields(fmt.Sprintf("%s %s (manifest %s)", c.Action, c.Ref, c.Manifest), c.Fields)
}

func (c ObjectChange) action() Action { return c.Action }

// withFields returns head followed by one indented line per field change.
func withFields(head string, fields []FieldChange) string {
	var b strings.Builder

	b.WriteString(head)

	for _, f := range fields {
		b.WriteString("\n    ")
		b.WriteString(f.String())
	}

	return b.String()
}

// change is an ObjectChange or a SyncChange.
type change interface {
	action() Action
	String() string
}

// countActions returns how many of changes get action a.
func countActions[C change](changes []C, a Action) int {
	n := 0

	for _, c := range changes {
		if c.action() == a {
			n++
		}
	}

	return n
}

// changesText returns every change that is not ActionUnchanged, one per line (updates with
// their fields), and a summary line from format, which gets the counts of ActionCreate,
// ActionUpdate, ActionPrune and ActionUnchanged in that order.
func changesText[C change](changes []C, format string) string {
	var b strings.Builder

	for _, c := range changes {
		if c.action() != ActionUnchanged {
			b.WriteString(c.String())
			b.WriteByte('\n')
		}
	}

	fmt.Fprintf(&b, format, countActions(changes, ActionCreate), countActions(changes, ActionUpdate),
		countActions(changes, ActionPrune), countActions(changes, ActionUnchanged))

	return b.String()
}

// Edit is what an edit of the control-plane configs does to the objects of their inline
// manifests, as `talosctl upgrade-k8s` would sync them.
type Edit struct {
	// Objects holds one change per object: the objects after the edit in manifest and
	// document order (ActionCreate, ActionUpdate, ActionUnchanged), then the pruned ones in their order before
	// the edit.
	Objects []ObjectChange
}

// Count returns how many objects get action a.
func (e *Edit) Count(a Action) int { return countActions(e.Objects, a) }

// After returns the objects of the inline manifests after the edit, in manifest and document
// order: what to pass to Sync to carry the edit out.
func (e *Edit) After() []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured

	for _, c := range e.Objects {
		if c.After != nil {
			objs = append(objs, c.After)
		}
	}

	return objs
}

// Changed reports whether the edit creates, updates or prunes anything.
func (e *Edit) Changed() bool {
	return e.Count(ActionCreate)+e.Count(ActionUpdate)+e.Count(ActionPrune) > 0
}

// String returns every object that changes, one per line (updates with their fields), and a
// summary line: "N to create, N to update, N to prune, N unchanged".
func (e *Edit) String() string {
	return changesText(e.Objects, "%d to create, %d to update, %d to prune, %d unchanged")
}

// CompareConfigs lists, object by object, what an edit of the control-plane configs changes in
// their inline manifests (both forms: cluster.inlineManifests and KubeInlineManifestConfig
// documents). It is pure: no cluster is contacted.
//
// The guide's rule comes first: edit every control-plane config, then run `talosctl
// upgrade-k8s`. So the control-plane configs after the edit must carry identical inline
// manifests, and so must those before it (worker configs are skipped); otherwise the error is
// the [*install.InlineMismatchError] naming each config and manifest that differs. Objects
// are identified by group, kind, namespace (as written) and name, so a new apiVersion of the
// same kind is an update, and an object that moves to another manifest is not pruned.
func CompareConfigs(before, after []install.NodeConfig) (*Edit, error) {
	old, err := inlineObjects("before", before)
	if err != nil {
		return nil, err
	}

	updated, err := inlineObjects("after", after)
	if err != nil {
		return nil, err
	}

	oldByKey := make(map[string]located, len(old))
	for _, o := range old {
		oldByKey[o.key] = o
	}

	edit := &Edit{}
	seen := make(map[string]bool, len(updated))

	for _, n := range updated {
		seen[n.key] = true
		c := ObjectChange{Ref: manifests.RefOf(n.obj), Manifest: n.manifest, After: n.obj}

		o, ok := oldByKey[n.key]
		switch {
		case !ok:
			c.Action = ActionCreate
		default:
			c.Before = o.obj
			c.Fields = diffFields(nil, o.obj.Object, n.obj.Object, true, true, nil)

			c.Action = ActionUpdate
			if len(c.Fields) == 0 {
				c.Action, c.Fields = ActionUnchanged, nil
			}
		}

		edit.Objects = append(edit.Objects, c)
	}

	for _, o := range old {
		if !seen[o.key] {
			edit.Objects = append(edit.Objects, ObjectChange{
				Ref: manifests.RefOf(o.obj), Manifest: o.manifest, Action: ActionPrune, Before: o.obj,
			})
		}
	}

	return edit, nil
}

// located is an object of an inline manifest, with its identity.
type located struct {
	key      string
	manifest string
	obj      *unstructured.Unstructured
}

// inlineObjects checks that the control-plane configs of one side agree and returns the objects
// of their inline manifests, in manifest and document order.
func inlineObjects(side string, configs []install.NodeConfig) ([]located, error) {
	if err := install.CheckInlineManifests(configs...); err != nil {
		return nil, fmt.Errorf("compare configs: %s the edit: %w", side, err)
	}

	for _, nc := range configs {
		provider, err := machineryseam.Load(nc.Config)
		if err != nil {
			return nil, fmt.Errorf("compare configs: %s the edit: config %s: %w", side, nc.Name, err)
		}

		if config.RoleOf(provider) != config.RoleControlPlane {
			continue
		}

		// The configs agree (checked above): the first control plane speaks for all.
		var (
			out   []located
			where = map[string]string{}
		)

		for _, m := range provider.K8sInlineManifestConfigs() {
			objs, err := manifests.ParseObjects([]byte(m.Contents()))
			if err != nil {
				return nil, fmt.Errorf("compare configs: %s the edit: config %s: inline manifest %s: %w", side, nc.Name, m.Name(), err)
			}

			for _, obj := range objs {
				key := InventoryKey(obj.GroupVersionKind().GroupKind(), obj.GetNamespace(), obj.GetName())
				if first, dup := where[key]; dup {
					return nil, fmt.Errorf("compare configs: %s the edit: config %s: %w: %s in inline manifests %s and %s; keep one",
						side, nc.Name, ErrDuplicateObject, manifests.RefOf(obj), first, m.Name())
				}

				where[key] = m.Name()
				out = append(out, located{key: key, manifest: m.Name(), obj: obj})
			}
		}

		return out, nil
	}

	return nil, fmt.Errorf("compare configs: %s the edit: %w among %d configs; pass the control-plane configs, which carry the inline manifests",
		side, ErrNoControlPlane, len(configs))
}

// diffFields appends to out the fields that differ between a and b (JSON values) under path.
func diffFields(path []string, a, b any, inA, inB bool, out []FieldChange) []FieldChange {
	if inA && inB {
		am, aIsMap := a.(map[string]any)
		bm, bIsMap := b.(map[string]any)

		if aIsMap && bIsMap {
			keys := slices.Sorted(maps.Keys(am))
			for k := range bm {
				if _, ok := am[k]; !ok {
					keys = append(keys, k)
				}
			}

			slices.Sort(keys)

			for _, k := range keys {
				av, okA := am[k]
				bv, okB := bm[k]
				out = diffFields(append(slices.Clip(path), k), av, bv, okA, okB, out)
			}

			return out
		}

		al, aIsList := a.([]any)
		bl, bIsList := b.([]any)

		if aIsList && bIsList {
			if scalars(al) && scalars(bl) && len(al)*len(bl) <= maxAlignCells {
				return diffScalarLists(path, al, bl, out)
			}

			for i := range max(len(al), len(bl)) {
				var av, bv any
				if i < len(al) {
					av = al[i]
				}

				if i < len(bl) {
					bv = bl[i]
				}

				out = diffFields(append(slices.Clip(path), strconv.Itoa(i)), av, bv, i < len(al), i < len(bl), out)
			}

			return out
		}

		if reflect.DeepEqual(a, b) {
			return out
		}
	}

	return append(out, FieldChange{Path: talos.Pointer(path...), Before: a, After: b, InBefore: inA, InAfter: inB})
}

// maxAlignCells bounds the table diffScalarLists builds; longer lists are compared index by
// index.
const maxAlignCells = 1 << 20

// scalars reports whether list holds no maps or lists.
func scalars(list []any) bool {
	for _, v := range list {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}

	return true
}

// diffScalarLists compares two lists of scalars by a longest common subsequence, so that one
// inserted entry is one "+" and not a change of every later index: removed entries are named
// by their index before the edit, added ones by their index after it.
func diffScalarLists(path []string, a, b []any, out []FieldChange) []FieldChange {
	// lcs[i][j]: length of the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}

	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if reflect.DeepEqual(a[i], b[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}

	at := func(i int) string { return talos.Pointer(append(slices.Clip(path), strconv.Itoa(i))...) }

	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && reflect.DeepEqual(a[i], b[j]):
			i, j = i+1, j+1
		case i < len(a) && j < len(b) && lcs[i+1][j+1] == lcs[i][j]:
			// Dropping both costs no common entry: a value changed in place.
			out = append(out, FieldChange{Path: at(j), Before: a[i], After: b[j], InBefore: true, InAfter: true})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, FieldChange{Path: at(j), After: b[j], InAfter: true})
			j++
		default:
			out = append(out, FieldChange{Path: at(i), Before: a[i], InBefore: true})
			i++
		}
	}

	return out
}
