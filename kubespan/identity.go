package kubespan

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// ULAKubeSpan is the Talos ULA purpose byte of KubeSpan addresses (byte 7 of the prefix).
const ULAKubeSpan = 0x02

// ULASideroLink is the Talos ULA purpose byte of SideroLink addresses, which KubeSpan never
// announces as endpoints or node addresses.
const ULASideroLink = 0x03

// IdentityFilename is the file Talos keeps the KubeSpan identity in, on the STATE partition.
const IdentityFilename = "kubespan-identity.yaml"

// Key is a WireGuard key (X25519, 32 bytes). Its text form is standard base64 (44 chars).
// The zero value is the all-zero key, which IsZero reports.
type Key [32]byte

// ParseKey parses a WireGuard key in standard base64.
func ParseKey(s string) (Key, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(Key{}) {
		return Key{}, fmt.Errorf("parse key: %w: want 32 bytes of standard base64", ErrInvalidKey)
	}
	return Key(b), nil
}

// String returns the key in standard base64, as `wg` and Talos print it.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// IsZero reports whether k is the zero key.
func (k Key) IsZero() bool { return k == Key{} }

// MarshalText implements encoding.TextMarshaler.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Key) UnmarshalText(b []byte) error {
	v, err := ParseKey(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// PublicKey returns the X25519 public key of the private key k.
func (k Key) PublicKey() (Key, error) {
	priv, err := ecdh.X25519().NewPrivateKey(k[:])
	if err != nil {
		return Key{}, fmt.Errorf("public key: %w: %w", ErrInvalidKey, err)
	}
	return Key(priv.PublicKey().Bytes()), nil
}

// NewPrivateKey reads 32 bytes from rand and clamps them into a WireGuard private key, like
// `wg genkey`. Pass crypto/rand.Reader for real keys; a seeded reader gives reproducible keys.
func NewPrivateKey(rand io.Reader) (Key, error) {
	var k Key
	if _, err := io.ReadFull(rand, k[:]); err != nil {
		return Key{}, fmt.Errorf("new private key: read randomness: %w", err)
	}
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
	return k, nil
}

// Subnet returns the KubeSpan /64 of a cluster, as Talos derives it (ULAPrefix(clusterID,
// 0x02)): the last 16 bytes of the SHA-256 of the cluster-ID string, byte 0 set to 0xfd,
// byte 7 set to 0x02, masked to /64.
func Subnet(clusterID string) netip.Prefix {
	sum := sha256.Sum256([]byte(clusterID))
	var b [16]byte
	copy(b[:], sum[sha256.Size-16:])
	b[0] = 0xfd
	b[7] = ULAKubeSpan
	return netip.PrefixFrom(netip.AddrFrom16(b), 64).Masked()
}

// Address returns the node's KubeSpan address in subnet: the modified EUI-64 interface
// identifier of mac (6 or 8 bytes) in the low 64 bits, as a /128.
func Address(subnet netip.Prefix, mac net.HardwareAddr) (netip.Prefix, error) {
	if !subnet.IsValid() || !subnet.Addr().Is6() || subnet.Bits() > 64 {
		return netip.Prefix{}, fmt.Errorf("kubespan address: %w: %s is not an IPv6 prefix of /64 or shorter", ErrInvalidSubnet, subnet)
	}
	var iid [8]byte
	switch len(mac) {
	case 6:
		copy(iid[:3], mac[:3])
		iid[3], iid[4] = 0xff, 0xfe
		copy(iid[5:], mac[3:])
	case 8:
		copy(iid[:], mac)
	default:
		return netip.Prefix{}, fmt.Errorf("kubespan address: %w: %d bytes, want 6 or 8", ErrInvalidMAC, len(mac))
	}
	iid[0] ^= 0x02
	b := subnet.Masked().Addr().As16()
	copy(b[8:], iid[:])
	return netip.PrefixFrom(netip.AddrFrom16(b), 128), nil
}

// Link is the part of a network link the KubeSpan identity depends on.
type Link struct {
	// Name is the link name, e.g. "eth0".
	Name string
	// HardwareAddr is the link's MAC address.
	HardwareAddr net.HardwareAddr
	// Physical is true for physical links (not bonds, bridges, VLANs, WireGuard, loopback).
	Physical bool
}

// FirstMAC returns the MAC Talos derives the KubeSpan address from: that of the first
// physical link with a hardware address, links sorted by name. links is not modified.
func FirstMAC(links []Link) (net.HardwareAddr, error) {
	var best *Link
	for i := range links {
		l := &links[i]
		if !l.Physical || len(l.HardwareAddr) == 0 {
			continue
		}
		if best == nil || l.Name < best.Name {
			best = l
		}
	}
	if best == nil {
		return nil, fmt.Errorf("first mac: %w", ErrNoPhysicalLink)
	}
	return slices.Clone(best.HardwareAddr), nil
}

// Identity is a node's KubeSpan identity (Talos's KubeSpanIdentity resource).
type Identity struct {
	// Address is the node's KubeSpan address, a /128.
	Address netip.Prefix
	// Subnet is the cluster's KubeSpan /64.
	Subnet netip.Prefix
	// PrivateKey is the node's WireGuard private key.
	PrivateKey Key
	// PublicKey is the node's WireGuard public key; peers know the node by it.
	PublicKey Key
}

// NewIdentity returns the identity of a node with the given private key in the cluster, its
// address derived from mac.
func NewIdentity(clusterID string, mac net.HardwareAddr, privateKey Key) (Identity, error) {
	pub, err := privateKey.PublicKey()
	if err != nil {
		return Identity{}, fmt.Errorf("new identity: %w", err)
	}
	subnet := Subnet(clusterID)
	addr, err := Address(subnet, mac)
	if err != nil {
		return Identity{}, fmt.Errorf("new identity: %w", err)
	}
	return Identity{Address: addr, Subnet: subnet, PrivateKey: privateKey, PublicKey: pub}, nil
}

// identityFile mirrors Talos's IdentitySpec YAML (gopkg.in/yaml.v3 of the resource spec).
type identityFile struct {
	Address    string `yaml:"address"`
	Subnet     string `yaml:"subnet"`
	PrivateKey string `yaml:"privateKey"`
	PublicKey  string `yaml:"publicKey"`
}

// MarshalIdentityFile encodes id as kubespan-identity.yaml, byte for byte as Talos writes
// it. Talos itself stores only the keys (address and subnet empty, recomputed every boot);
// pass an Identity with zero Address and Subnet to get exactly that file.
func MarshalIdentityFile(id Identity) ([]byte, error) {
	f := identityFile{PrivateKey: id.PrivateKey.String(), PublicKey: id.PublicKey.String()}
	if id.Address.IsValid() {
		f.Address = id.Address.String()
	}
	if id.Subnet.IsValid() {
		f.Subnet = id.Subnet.String()
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("marshal identity file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal identity file: %w", err)
	}
	return buf.Bytes(), nil
}

// ParseIdentityFile decodes a kubespan-identity.yaml. The private key is required, the
// public key must match it, address and subnet may be empty (as Talos writes them).
func ParseIdentityFile(data []byte) (Identity, error) {
	var f identityFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return Identity{}, fmt.Errorf("parse identity file: %w: %w", ErrInvalidIdentity, err)
	}
	var id Identity
	var err error
	if id.PrivateKey, err = ParseKey(f.PrivateKey); err != nil {
		return Identity{}, fmt.Errorf("parse identity file: privateKey: %w", err)
	}
	if id.PublicKey, err = ParseKey(f.PublicKey); err != nil {
		return Identity{}, fmt.Errorf("parse identity file: publicKey: %w", err)
	}
	pub, err := id.PrivateKey.PublicKey()
	if err != nil {
		return Identity{}, fmt.Errorf("parse identity file: %w", err)
	}
	if pub != id.PublicKey {
		return Identity{}, fmt.Errorf("parse identity file: %w: publicKey does not belong to privateKey", ErrInvalidIdentity)
	}
	for _, field := range []struct {
		name string
		text string
		dst  *netip.Prefix
	}{{"address", f.Address, &id.Address}, {"subnet", f.Subnet, &id.Subnet}} {
		if strings.TrimSpace(field.text) == "" {
			continue
		}
		p, perr := netip.ParsePrefix(field.text)
		if perr != nil {
			return Identity{}, fmt.Errorf("parse identity file: %s: %w: %w", field.name, ErrInvalidIdentity, perr)
		}
		*field.dst = p
	}
	return id, nil
}
