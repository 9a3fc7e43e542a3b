package kubespan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// PeerStatusType is the Talos resource type of peer statuses.
const PeerStatusType = "KubeSpanPeerStatuses.kubespan.talos.dev"

// ErrInvalidResource reports `talosctl get -o yaml` output that is not what was expected.
var ErrInvalidResource = errors.New("invalid talosctl resource output")

type peerStatusDoc struct {
	Node     string `yaml:"node"`
	Metadata struct {
		Namespace string `yaml:"namespace"`
		Type      string `yaml:"type"`
		ID        string `yaml:"id"`
		Version   int    `yaml:"version"`
	} `yaml:"metadata"`
	Spec struct {
		Endpoint           netip.AddrPort `yaml:"endpoint"`
		Label              string         `yaml:"label"`
		State              PeerState      `yaml:"state"`
		ReceiveBytes       int64          `yaml:"receiveBytes"`
		TransmitBytes      int64          `yaml:"transmitBytes"`
		LastHandshakeTime  time.Time      `yaml:"lastHandshakeTime"`
		LastUsedEndpoint   netip.AddrPort `yaml:"lastUsedEndpoint"`
		LastEndpointChange time.Time      `yaml:"lastEndpointChange"`
	} `yaml:"spec"`
}

// ParsePeerStatuses reads the output of `talosctl get kubespanpeerstatuses -o yaml` (one
// YAML document per resource, from one or more nodes) into rows, in input order. Every
// document must be a KubeSpanPeerStatus; the error names the document by index.
func ParsePeerStatuses(data []byte) ([]Row[PeerStatus], error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var rows []Row[PeerStatus]
	for i := 0; ; i++ {
		var doc peerStatusDoc
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse peer statuses: document %d: %w: %w", i, ErrInvalidResource, err)
		}
		if doc.Metadata.Type != PeerStatusType {
			return nil, fmt.Errorf("parse peer statuses: document %d: %w: type %q, want %s", i, ErrInvalidResource, doc.Metadata.Type, PeerStatusType)
		}
		if doc.Metadata.ID == "" {
			return nil, fmt.Errorf("parse peer statuses: document %d: %w: no metadata.id", i, ErrInvalidResource)
		}
		sp := doc.Spec
		rows = append(rows, Row[PeerStatus]{Node: doc.Node, Version: doc.Metadata.Version, Value: PeerStatus{
			ID: doc.Metadata.ID, Endpoint: sp.Endpoint, Label: sp.Label, State: sp.State,
			ReceiveBytes: sp.ReceiveBytes, TransmitBytes: sp.TransmitBytes,
			LastHandshakeTime: sp.LastHandshakeTime, LastUsedEndpoint: sp.LastUsedEndpoint, LastEndpointChange: sp.LastEndpointChange,
		}})
	}
}
