package kubespan

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// Namespace is the Talos resource namespace of KubeSpan resources.
const Namespace = "kubespan"

// Row is one resource as `talosctl get` shows it: the node it was read from, its resource
// version and its value.
type Row[T any] struct {
	// Node is the NODE column (the node's address as passed to talosctl -n).
	Node string
	// Version is the resource version.
	Version int
	// Value is the resource.
	Value T
}

// Rows wraps values read from one node at one version into rows.
func Rows[T any](node string, version int, values []T) []Row[T] {
	out := make([]Row[T], len(values))
	for i, v := range values {
		out[i] = Row[T]{Node: node, Version: version, Value: v}
	}
	return out
}

var header = []string{"NODE", "NAMESPACE", "TYPE", "ID", "VERSION"}

// EscapeCell is how the table writers (WriteIdentities, WritePeerSpecs, WritePeerStatuses,
// WriteEndpoints) print every cell, so that a string from the network (a peer's label is the
// node name it announced to discovery; IDs, affiliate IDs and node names are strings too)
// cannot move the cursor, clear the screen, reverse the text or break a row into several.
//
// The rule: s prints unchanged when it is valid UTF-8, every rune is printable as
// strconv.IsPrint says (letters of any script, marks, numbers, punctuation, symbols and the
// ASCII space) and it does not start with a double quote. Any other string prints as
// strconv.Quote(s), Go's %q: in double quotes, with control characters, escape sequences,
// tabs, line breaks, invisible format characters such as U+202E RIGHT-TO-LEFT OVERRIDE and
// invalid bytes escaped ("\x1b[2J", "\r", "\u202e", "\xff"). So ordinary names print as they
// are, and a cell that starts with a double quote is always a quoted string that
// strconv.Unquote turns back into the exact value.
func EscapeCell(s string) string {
	if printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// printable reports whether EscapeCell prints s unchanged.
func printable(s string) bool {
	if strings.HasPrefix(s, `"`) || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

func writeTable[T any](w io.Writer, typ string, columns []string, rows []Row[T], id func(T) string, cells func(T) ([]string, error)) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	line := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, EscapeCell(f))
		}
		fmt.Fprint(tw, "\n")
	}
	line(append(append([]string{}, header...), columns...))
	for _, r := range rows {
		c, err := cells(r.Value)
		if err != nil {
			return fmt.Errorf("write %s table: %w", typ, err)
		}
		line(append([]string{r.Node, Namespace, typ, id(r.Value), strconv.Itoa(r.Version)}, c...))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write %s table: %w", typ, err)
	}
	return nil
}

// WriteIdentities writes rows like `talosctl get kubespanidentities`
// (ADDRESS PUBLICKEY after the common columns; the ID is "local"). Like every table writer
// here, it prints each cell through EscapeCell.
func WriteIdentities(w io.Writer, rows []Row[Identity]) error {
	return writeTable(w, "KubeSpanIdentity", []string{"ADDRESS", "PUBLICKEY"}, rows,
		func(Identity) string { return "local" },
		func(id Identity) ([]string, error) { return []string{textOf(id.Address), id.PublicKey.String()}, nil })
}

// WritePeerSpecs writes rows like `talosctl get kubespanpeerspecs` (LABEL ENDPOINTS, the
// endpoints as a JSON list). Each cell prints through EscapeCell, so a label with control
// characters or terminal escapes prints quoted and escaped.
func WritePeerSpecs(w io.Writer, rows []Row[PeerSpec]) error {
	return writeTable(w, "KubeSpanPeerSpec", []string{"LABEL", "ENDPOINTS"}, rows,
		func(s PeerSpec) string { return s.ID },
		func(s PeerSpec) ([]string, error) {
			eps := make([]string, len(s.Endpoints))
			for i, e := range s.Endpoints {
				eps[i] = e.String()
			}
			b, err := json.Marshal(eps)
			if err != nil {
				return nil, err
			}
			return []string{s.Label, string(b)}, nil
		})
}

// WritePeerStatuses writes rows like `talosctl get kubespanpeerstatuses`
// (LABEL ENDPOINT STATE RX TX). Each cell prints through EscapeCell, so a label with control
// characters or terminal escapes prints quoted and escaped, one row per peer.
func WritePeerStatuses(w io.Writer, rows []Row[PeerStatus]) error {
	return writeTable(w, "KubeSpanPeerStatus", []string{"LABEL", "ENDPOINT", "STATE", "RX", "TX"}, rows,
		func(s PeerStatus) string { return s.ID },
		func(s PeerStatus) ([]string, error) {
			return []string{s.Label, textOf(s.Endpoint), s.State.String(),
				strconv.FormatInt(s.ReceiveBytes, 10), strconv.FormatInt(s.TransmitBytes, 10)}, nil
		})
}

// WriteEndpoints writes rows like `talosctl get kubespanendpoints` (ENDPOINT AFFILIATE ID).
// Each cell prints through EscapeCell.
func WriteEndpoints(w io.Writer, rows []Row[EndpointRecord]) error {
	return writeTable(w, "KubeSpanEndpoint", []string{"ENDPOINT", "AFFILIATE ID"}, rows,
		func(e EndpointRecord) string { return e.ID },
		func(e EndpointRecord) ([]string, error) { return []string{textOf(e.Endpoint), e.AffiliateID}, nil })
}

// textOf renders a netip value like Talos's YAML does: empty for the zero value.
func textOf[T interface{ MarshalText() ([]byte, error) }](v T) string {
	b, err := v.MarshalText()
	if err != nil {
		return ""
	}
	return string(b)
}
