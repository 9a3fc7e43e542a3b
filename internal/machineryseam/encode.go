package machineryseam

import (
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
)

// The library writes every machine config and document without machinery's comments (what
// `talosctl gen config` writes with --with-docs=false --with-examples=false): the bytes are
// smaller, and equal to what a config patched by Talos is encoded to. These are the only
// places that say so.

// EncodeConfig encodes a whole (multi-document) config without comments.
func EncodeConfig(cfg configconfig.Encoder) ([]byte, error) {
	return cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
}

// EncodeConfigString is EncodeConfig as a string.
func EncodeConfigString(cfg configconfig.Encoder) (string, error) {
	return cfg.EncodeString(encoder.WithComments(encoder.CommentsDisabled))
}

// EncodeDocument encodes one document (a config.Document, or any value machinery's encoder
// takes) without comments, as the container encodes each of its documents.
func EncodeDocument(d any) ([]byte, error) {
	return encoder.NewEncoder(d, encoder.WithComments(encoder.CommentsDisabled)).Encode()
}
