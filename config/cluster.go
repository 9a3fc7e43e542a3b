package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/talospatch/talospatch/talos"
)

// Cluster describes a Talos cluster as plain data: the intent from which the control-plane
// config, the worker config and the talosconfig are generated. It maps onto a YAML or JSON
// document (a CI file, a Terraform schema) field by field; see [LoadCluster].
//
// Name, Endpoint and Contract are required. Every other field is optional and its zero value
// means the Talos default, which the field's comment names. The secrets bundle is not part of
// the description: it is a separate, required parameter of the generating functions, so that
// it is never written out with the description and never generated implicitly.
//
// A Cluster is a value: functions of this package never modify the Cluster they are given.
type Cluster struct {
	// Name is the cluster name (cluster.clusterName). Required.
	Name string `yaml:"name" json:"name"`

	// Endpoint is the Kubernetes control-plane endpoint, https://host:port, for example
	// "https://10.5.0.2:6443" or "https://cp.example.com:6443" (cluster.controlPlane.endpoint).
	// Required.
	Endpoint string `yaml:"endpoint" json:"endpoint"`

	// Contract is the Talos version contract the configs are generated for, written "v1.14":
	// the Talos version the nodes run (or the oldest one, while upgrading). Required and never
	// defaulted: a config generated for a newer contract than the nodes run may not boot.
	// Contracts talos.Oldest (v1.0) to talos.Newest (v1.14) are supported.
	Contract talos.Contract `yaml:"contract" json:"contract"`

	// KubernetesVersion is the Kubernetes version, for example "1.37.0" (a leading "v" is
	// accepted). Required, as machinery v1.14 requires it, and checked against the range the
	// contract's Talos release supports (talos.Contract.Kubernetes: v1.14 takes 1.32.0 to
	// 1.37.x, v1.13 1.31.0 to 1.36.x); out of range is an error unless
	// AllowUnsupportedKubernetes is set.
	KubernetesVersion string `yaml:"kubernetesVersion" json:"kubernetesVersion"`

	// AllowUnsupportedKubernetes turns a Kubernetes version outside the contract's supported
	// range from an error into a warning, for a user who knows better (a release Talos has not
	// listed yet, a downgrade test). False: out of range is an error.
	AllowUnsupportedKubernetes bool `yaml:"allowUnsupportedKubernetes,omitempty" json:"allowUnsupportedKubernetes,omitempty"`

	// CNI selects the cluster's CNI (cluster.network.cni). Zero: Talos's default, flannel,
	// deployed by Talos.
	CNI CNI `yaml:"cni,omitempty" json:"cni,omitzero"`

	// KubeProxyDisabled disables kube-proxy (cluster.proxy.disabled), for a CNI that replaces
	// it such as Cilium. False: Talos's default, kube-proxy runs.
	KubeProxyDisabled bool `yaml:"kubeProxyDisabled,omitempty" json:"kubeProxyDisabled,omitempty"`

	// KubePrism configures the node-local API server load balancer
	// (machine.features.kubePrism). Zero: the contract's default, enabled on port 7445 for
	// contracts v1.6 and newer, disabled before.
	KubePrism KubePrism `yaml:"kubePrism,omitempty" json:"kubePrism,omitzero"`

	// Discovery configures cluster membership discovery (cluster.discovery; from v1.14 the
	// DiscoveryServiceConfig document). Zero: Talos's default, enabled through the discovery
	// service (the Kubernetes registry is disabled for contracts v1.2 and newer).
	Discovery Discovery `yaml:"discovery,omitempty" json:"discovery,omitzero"`

	// KubeSpan enables KubeSpan exactly as `talosctl gen config --with-kubespan` does: on
	// v1.13 and v1.14 a KubeSpanConfig document with only "enabled: true", before v1.13
	// machine.network.kubespan.enabled. False: KubeSpan off (Talos's default). KubeSpan needs
	// discovery; package kubespan writes the other KubeSpan settings.
	KubeSpan bool `yaml:"kubeSpan,omitempty" json:"kubeSpan,omitempty"`

	// InstallDisk is the disk Talos installs to, for example "/dev/sda" (machine.install.disk).
	// Empty: left empty as machinery leaves it; metal mode then needs a disk or a disk selector
	// from a patch (talosctl's flag default is /dev/sda).
	InstallDisk string `yaml:"installDisk,omitempty" json:"installDisk,omitempty"`

	// InstallImage is the installer image, for example
	// "ghcr.io/siderolabs/installer:v1.13.0" (machine.install.image). Empty: left empty as
	// machinery leaves it (talosctl fills in the installer of its own version).
	InstallImage string `yaml:"installImage,omitempty" json:"installImage,omitempty"`

	// ExtraCertSANs are additional subject alternative names (host names or IP addresses)
	// for the Talos API and the Kubernetes API server certificates (machine.certSANs,
	// cluster.apiServer.certSANs). Empty: none; contracts up to v1.11 add the endpoint's host.
	ExtraCertSANs []string `yaml:"extraCertSANs,omitempty" json:"extraCertSANs,omitempty"`

	// PodSubnets are the pod networks in CIDR notation (cluster.network.podSubnets).
	// Empty: ["10.244.0.0/16"].
	PodSubnets []string `yaml:"podSubnets,omitempty" json:"podSubnets,omitempty"`

	// ServiceSubnets are the service networks in CIDR notation
	// (cluster.network.serviceSubnets). Empty: ["10.96.0.0/12"].
	ServiceSubnets []string `yaml:"serviceSubnets,omitempty" json:"serviceSubnets,omitempty"`

	// DNSDomain is the cluster DNS domain (cluster.network.dnsDomain). Empty: "cluster.local".
	DNSDomain string `yaml:"dnsDomain,omitempty" json:"dnsDomain,omitempty"`

	// TalosEndpoints are the Talos API endpoints written into the talosconfig (node or load
	// balancer addresses, host or host:port). Empty: none, as machinery leaves it (talosctl's
	// flag default is 127.0.0.1); set them later with `talosctl config endpoint`.
	TalosEndpoints []string `yaml:"talosEndpoints,omitempty" json:"talosEndpoints,omitempty"`
}

// CNI selects the cluster's CNI.
type CNI struct {
	// Name is the CNI: CNIDefault (flannel, the zero value), CNIFlannel, CNICustom or CNINone.
	Name CNIName `yaml:"name,omitempty" json:"name,omitzero"`
	// URLs are the manifests Talos applies for a custom CNI (cluster.network.cni.urls).
	// Required with CNICustom, refused with any other name.
	URLs []string `yaml:"urls,omitempty" json:"urls,omitempty"`
}

// KubePrism configures the node-local load balancer for the Kubernetes API server.
type KubePrism struct {
	// Disabled turns KubePrism off even where the contract enables it by default.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Port is the port KubePrism listens on; setting it enables KubePrism on contracts that
	// have it (v1.5 and later: machine.features.kubePrism, KubePrismConfig from v1.14). Set on
	// an older contract it is refused: the node would not know the field. Zero: 7445 where the
	// contract enables KubePrism by default (v1.6 and later).
	Port int `yaml:"port,omitempty" json:"port,omitempty"`
}

// Discovery configures cluster membership discovery.
type Discovery struct {
	// Disabled turns cluster discovery off. KubeSpan needs discovery.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
}

// CNIName names a CNI choice. The zero value, CNIDefault, is Talos's default CNI (flannel);
// its text form is empty.
type CNIName int

// CNI choices.
const (
	// CNIDefault leaves the CNI unset: Talos deploys flannel.
	CNIDefault CNIName = iota
	// CNIFlannel names flannel explicitly (cni.name: flannel).
	CNIFlannel
	// CNICustom is a CNI that Talos applies from URLs (cni.name: custom).
	CNICustom
	// CNINone deploys no CNI (cni.name: none): install one yourself, for example Cilium.
	CNINone
)

var cniNames = [...]string{CNIDefault: "", CNIFlannel: "flannel", CNICustom: "custom", CNINone: "none"}

// String returns the Talos name of the CNI: "" (default), "flannel", "custom" or "none".
func (n CNIName) String() string {
	if n < 0 || int(n) >= len(cniNames) {
		return "CNIName(" + strconv.Itoa(int(n)) + ")"
	}

	return cniNames[n]
}

// MarshalText implements encoding.TextMarshaler; unknown values are an error.
func (n CNIName) MarshalText() ([]byte, error) {
	if n < 0 || int(n) >= len(cniNames) {
		return nil, fmt.Errorf("marshal cni name: %w: %d", ErrCNI, int(n))
	}

	return []byte(cniNames[n]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts "", "flannel", "custom" and
// "none" and refuses anything else.
func (n *CNIName) UnmarshalText(text []byte) error {
	i := slices.Index(cniNames[:], string(text))
	if i < 0 {
		return fieldErr("/cni/name", string(text), fmt.Errorf("%w: unknown cni name, want flannel, custom or none", ErrCNI))
	}

	*n = CNIName(i)

	return nil
}

// LoadCluster parses a cluster description from YAML (or JSON). Unknown fields are an error,
// so a misspelt field is not silently ignored. The description is not validated; call
// [Cluster.Validate] or let the generating functions do it.
func LoadCluster(data []byte) (Cluster, error) {
	var c Cluster

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)

	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return Cluster{}, fmt.Errorf("load cluster description: %w: empty document", ErrInvalid)
		}

		if errors.Is(err, talos.ErrUnknownContract) || errors.Is(err, talos.ErrContractUnsupported) {
			// The contract's own error says what to write; name the field.
			err = &talos.FieldError{Path: "/contract", Err: err}
		}

		if unknown := unknownFields(err); unknown != nil {
			return Cluster{}, fmt.Errorf("load cluster description: %w", unknown)
		}

		return Cluster{}, fmt.Errorf("load cluster description: %w: %w", ErrInvalid, err)
	}

	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Cluster{}, fmt.Errorf("load cluster description: %w: more than one YAML document", ErrInvalid)
	}

	return c, nil
}

// unknownFieldRE is the YAML decoder's message for a key no field takes.
var unknownFieldRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type config\.(\w+)$`)

// unknownFields turns the YAML decoder's "field X not found in type config.T" messages into
// *talos.FieldError values that name the key as written, where it is, and the nearest key that
// exists; nil when err has no such message.
func unknownFields(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return nil
	}

	var errs []error

	for _, msg := range te.Errors {
		m := unknownFieldRE.FindStringSubmatch(msg)
		if m == nil {
			return nil // another kind of problem: keep the decoder's message
		}

		parent, keys := descriptionKeys(m[3])

		fe := &talos.FieldError{
			Path: parent + talos.Pointer(m[2]),
			Err:  fmt.Errorf("%w: unknown key %q on line %s", ErrInvalid, m[2], m[1]),
		}

		if near := nearest(m[2], keys); near != "" {
			fe.Fix = fmt.Sprintf("did you mean %q?", near)
		} else {
			fe.Fix = "the keys are " + strings.Join(keys, ", ")
		}

		errs = append(errs, fe)
	}

	return talos.Join(errs...)
}

// descriptionKeys returns the RFC 6901 pointer of a description type's place in Cluster and the
// YAML keys of its fields.
func descriptionKeys(typeName string) (string, []string) {
	var (
		parent string
		t      reflect.Type
	)

	switch typeName {
	case "CNI":
		parent, t = "/cni", reflect.TypeFor[CNI]()
	case "KubePrism":
		parent, t = "/kubePrism", reflect.TypeFor[KubePrism]()
	case "Discovery":
		parent, t = "/discovery", reflect.TypeFor[Discovery]()
	default:
		t = reflect.TypeFor[Cluster]()
	}

	keys := make([]string, 0, t.NumField())

	for i := range t.NumField() {
		if key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); key != "" && key != "-" {
			keys = append(keys, key)
		}
	}

	return parent, keys
}

// nearest returns the key closest to s by edit distance (case-insensitive), if it is close
// enough to be a misspelling: at most a third of the key's length.
func nearest(s string, keys []string) string {
	best, bestDist := "", len(s)/3+1

	for _, k := range keys {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}

	return best
}

// editDistance is the Levenshtein distance of a and b (counting a transposition as one edit).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)

	for j := range prev {
		prev[j] = j
	}

	for i := 1; i <= len(ra); i++ {
		cur[0] = i

		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}

			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)

			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}

		prev2, prev, cur = prev, cur, prev2
	}

	return prev[len(rb)]
}

// Marshal encodes the cluster description as YAML, fields in the order of the struct, leaving
// out optional fields at their zero value. LoadCluster(c.Marshal()) gives back c (a nil and
// an empty list both mean "default" and both come back as nil).
func (c Cluster) Marshal() ([]byte, error) {
	var buf bytes.Buffer

	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)

	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("marshal cluster description: %w", err)
	}

	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal cluster description: %w", err)
	}

	return buf.Bytes(), nil
}

// Validate checks the description and reports every problem at once (talos.Join of
// *talos.FieldError values, each naming the field and matching one of the ErrX sentinels). It checks
// what can be checked without generating a config: required fields, the endpoint, the
// contract, the Kubernetes version, CNI consistency, subnets, ports and SANs.
func (c Cluster) Validate() error {
	var errs []error

	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, fieldErr("/name", c.Name, ErrNoName))
	}

	if err := checkEndpoint("/endpoint", c.Endpoint); err != nil {
		errs = append(errs, err)
	}

	if err := c.Contract.Check("/contract"); err != nil {
		errs = append(errs, err)
	}

	if err := c.checkKubernetesVersion(); err != nil {
		errs = append(errs, err)
	}

	errs = append(errs, c.CNI.check()...)

	if c.KubePrism.Port < 0 || c.KubePrism.Port > 65535 {
		errs = append(errs, fieldErr("/kubePrism/port", strconv.Itoa(c.KubePrism.Port), fmt.Errorf("%w: port out of range 1-65535", ErrInvalid)))
	}

	if c.KubePrism.Port != 0 && c.Contract.IsValid() && !c.Contract.Form(talos.SettingKubePrism).Supported() {
		errs = append(errs, &talos.FieldError{
			Path: "/kubePrism/port", Value: strconv.Itoa(c.KubePrism.Port),
			Err: fmt.Errorf("%w: Talos %s has no KubePrism (machine.features.kubePrism came in v1.5)", ErrInvalid, c.Contract),
			Fix: "drop kubePrism.port, or use contract v1.5 or later",
		})
	}

	if c.KubePrism.Disabled && c.KubePrism.Port != 0 {
		errs = append(errs, fieldErr("/kubePrism/port", strconv.Itoa(c.KubePrism.Port), fmt.Errorf("%w: port set while kubePrism is disabled", ErrInvalid)))
	}

	for i, san := range c.ExtraCertSANs {
		if strings.TrimSpace(san) == "" || strings.ContainsAny(san, " /,") {
			errs = append(errs, fieldErr(talos.Pointer("extraCertSANs", strconv.Itoa(i)), san, fmt.Errorf("%w: not a host name or IP address", ErrInvalid)))
		}
	}

	for i, ep := range c.TalosEndpoints {
		if strings.TrimSpace(ep) == "" || strings.ContainsAny(ep, " /,") {
			errs = append(errs, fieldErr(talos.Pointer("talosEndpoints", strconv.Itoa(i)), ep, fmt.Errorf("%w: not a host or host:port", ErrInvalid)))
		}
	}

	errs = append(errs, checkSubnets("podSubnets", c.PodSubnets)...)
	errs = append(errs, checkSubnets("serviceSubnets", c.ServiceSubnets)...)

	if c.DNSDomain != "" && (strings.ContainsAny(c.DNSDomain, " /:") || strings.HasPrefix(c.DNSDomain, ".") || strings.HasSuffix(c.DNSDomain, ".")) {
		errs = append(errs, fieldErr("/dnsDomain", c.DNSDomain, fmt.Errorf("%w: not a DNS domain", ErrInvalid)))
	}

	return talos.Join(errs...)
}

// checkKubernetesVersion: required, MAJOR.MINOR.PATCH, and in the contract's range unless the
// user allowed otherwise (then [Cluster.Warnings] says so).
func (c Cluster) checkKubernetesVersion() error {
	const path = "/kubernetesVersion"

	fix := "a Kubernetes version the contract supports"
	if r := c.Contract.Kubernetes(); r.Default != "" {
		fix = fmt.Sprintf("%q, the default of Talos %s (it supports %s)", r.Default, c.Contract, r)
	}

	if c.KubernetesVersion == "" {
		return &talos.FieldError{Path: path, Err: fmt.Errorf("%w: required", ErrKubernetesVersion), Fix: fix}
	}

	if _, err := talos.ParseKubernetesVersion(c.KubernetesVersion); err != nil {
		return &talos.FieldError{Path: path, Value: c.KubernetesVersion, Err: fmt.Errorf("%w: %w", ErrKubernetesVersion, err), Fix: fix}
	}

	if r := c.Contract.Kubernetes(); r.Default != "" && !r.Contains(c.KubernetesVersion) && !c.AllowUnsupportedKubernetes {
		return &talos.FieldError{
			Path: path, Value: c.KubernetesVersion,
			Err: fmt.Errorf("%w: Talos %s supports Kubernetes %s", ErrKubernetesVersion, c.Contract, r),
			Fix: fix + ", or set allowUnsupportedKubernetes if you know better",
		}
	}

	return nil
}

// kubernetesVersion returns the version without a leading "v", as machinery wants it.
func (c Cluster) kubernetesVersion() string {
	return strings.TrimPrefix(c.KubernetesVersion, "v")
}

func (cni CNI) check() []error {
	var errs []error

	switch cni.Name {
	case CNICustom:
		if len(cni.URLs) == 0 {
			errs = append(errs, &talos.FieldError{Path: "/cni/urls", Err: fmt.Errorf("%w: cni custom needs at least one manifest URL", ErrCNI)})
		}
	case CNIDefault, CNIFlannel, CNINone:
		if len(cni.URLs) > 0 {
			name := cni.Name.String()
			if name == "" {
				name = "flannel (default)"
			}

			errs = append(errs, &talos.FieldError{
				Path: "/cni/urls", Value: strings.Join(cni.URLs, ","),
				Err: fmt.Errorf("%w: urls are only used with cni custom, not %s", ErrCNI, name),
				Fix: `cni.name "custom", or remove the urls`,
			})
		}
	default:
		errs = append(errs, fieldErr("/cni/name", cni.Name.String(), fmt.Errorf("%w: unknown cni name", ErrCNI)))
	}

	for i, u := range cni.URLs {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			errs = append(errs, fieldErr(talos.Pointer("cni", "urls", strconv.Itoa(i)), u, fmt.Errorf("%w: not an http(s) URL", ErrCNI)))
		}
	}

	return errs
}

func checkSubnets(path string, subnets []string) []error {
	var errs []error

	for i, s := range subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			errs = append(errs, fieldErr(talos.Pointer(path, strconv.Itoa(i)), s, fmt.Errorf("%w: not a CIDR prefix", ErrInvalid)))

			continue
		}

		if p.Masked() != p {
			errs = append(errs, &talos.FieldError{
				Path: talos.Pointer(path, strconv.Itoa(i)), Value: s,
				Err: fmt.Errorf("%w: host bits set", ErrInvalid),
				Fix: strconv.Quote(p.Masked().String()),
			})
		}
	}

	return errs
}

// APIServerAddress returns the host and port of the cluster's endpoint: what a client that
// does not go through the kubernetes Service (Cilium without kube-proxy, where the nodes run no
// KubePrism) connects to. An endpoint without a port is port 443, as for talosctl (a load
// balancer in front of the API servers). An endpoint Validate refuses is refused the same way:
// a *talos.FieldError at /endpoint wrapping ErrEndpoint, with the fixed form when there is one.
func (c Cluster) APIServerAddress() (host string, port uint16, err error) {
	if err := checkEndpoint("/endpoint", c.Endpoint); err != nil {
		return "", 0, err
	}

	u, err := url.Parse(c.Endpoint)
	if err != nil { // checkEndpoint parsed it
		return "", 0, fieldErr("/endpoint", c.Endpoint, fmt.Errorf("%w: %w", ErrEndpoint, err))
	}

	if u.Port() == "" {
		return u.Hostname(), 443, nil
	}

	n, err := strconv.ParseUint(u.Port(), 10, 16)
	if err != nil { // checkEndpoint checked the range
		return "", 0, fieldErr("/endpoint", c.Endpoint, fmt.Errorf("%w: %w", ErrEndpoint, err))
	}

	return u.Hostname(), uint16(n), nil
}

// checkEndpoint checks that endpoint is https://host:port and suggests the fixed form.
func checkEndpoint(path, endpoint string) error {
	if endpoint == "" {
		return fieldErr(path, "", fmt.Errorf("%w: endpoint is required", ErrEndpoint))
	}

	fixed, problem := fixEndpoint(endpoint)
	if problem == "" {
		return nil
	}

	fe := &talos.FieldError{Path: path, Value: endpoint, Err: fmt.Errorf("%w: %s, want https://host:port", ErrEndpoint, problem)}
	if fixed != "" {
		fe.Fix = strconv.Quote(fixed)
	}

	return fe
}

// fixEndpoint returns what is wrong with endpoint ("" when nothing) and, when it can guess
// one, the fixed form.
func fixEndpoint(endpoint string) (fixed, problem string) {
	raw := strings.TrimSpace(endpoint)
	if raw != endpoint {
		problem = "surrounding spaces"
	}

	withScheme := raw
	hadScheme := strings.Contains(raw, "://")

	if !hadScheme {
		withScheme = "https://" + raw

		if problem == "" {
			problem = "no https:// scheme"
		}
	}

	u, err := url.Parse(withScheme)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		if problem == "" {
			problem = "not a URL"
		}

		return "", problem
	}

	if u.Scheme != "https" {
		if problem == "" {
			problem = "scheme " + u.Scheme + " instead of https"
		}

		u.Scheme = "https"
	}

	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		if problem == "" {
			problem = "path, query or user information"
		}
	}

	port := u.Port()

	switch {
	case port == "" && problem == "":
		// As talosctl gen config: an https:// URL without a port is port 443 (a load balancer
		// in front of the API servers), not an error.
		return "", ""
	case port == "" && hadScheme:
		// A URL with another problem: its fixed form keeps the implied port 443.
		host := u.Hostname()
		if addr, err := netip.ParseAddr(host); err == nil && addr.Is6() {
			host = "[" + addr.String() + "]"
		}

		return "https://" + host, problem
	case port == "":
		// A bare host: talosctl's suggestion adds the API server port.
		port = "6443"
	}

	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		if problem == "" {
			problem = "port out of range"
		}

		port = "6443"
	}

	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil && addr.Is6() {
		host = "[" + addr.String() + "]"
	}

	return "https://" + host + ":" + port, problem
}

// cloneCluster returns a deep copy of c.
func cloneCluster(c Cluster) Cluster {
	c.CNI.URLs = slices.Clone(c.CNI.URLs)
	c.ExtraCertSANs = slices.Clone(c.ExtraCertSANs)
	c.PodSubnets = slices.Clone(c.PodSubnets)
	c.ServiceSubnets = slices.Clone(c.ServiceSubnets)
	c.TalosEndpoints = slices.Clone(c.TalosEndpoints)

	return c
}
