package config

import (
	"strconv"

	"github.com/talospatch/talospatch/talos"
)

// Location implements talos.Located: the patch's place in the [Layers] it came from,
// "/allNodes/1", "/controlPlane/0", "/worker/2" (the Layers' YAML keys), or "/node/1" for the
// node's own patches ([Node.Patches]). The document is zero: the path is
// into the layers, not into a config; Err says where in the config the patch failed.
func (e *LayerError) Location() (talos.Document, string) {
	return talos.Document{}, talos.Pointer(e.Layer, strconv.Itoa(e.Index))
}
