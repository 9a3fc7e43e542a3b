// Package nodeencode is the encoder behind config.Builder: it encodes node configs that differ
// little from their role config to exactly machinery's bytes (config.Encode), re-encoding only
// the documents and fields that differ, and, for a node without patches of its own, merges the
// node's settings documents into shallow copies of the role config (AppendMerged) instead of
// copying and patching it. It is a faster copy of the general path (package patches, then
// machinery's encoder), tested and fuzzed against it here and in package config; callers use
// config.Builder.
package nodeencode
