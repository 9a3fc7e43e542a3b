// Package talos is the vocabulary at the bottom of talospatch: the Talos version [Contract], the
// one table of what depends on it ([Contract.Form], [Contract.ControlPlaneOnly],
// [Contract.Kubernetes]), and the error and warning values every package returns
// ([FieldError], [Warning]), each naming a config [Document] and an RFC 6901 path.
//
// It imports only the standard library, so every other package (config, patches, kubespan,
// manifests) can read it without pulling in machinery.
//
//	c, err := talos.ParseContract("v1.14")
//	if err != nil { ... }
//	c.Form(talos.SettingKubeProxy)      // {Kind: "KubeProxyConfig", Since: v1.14}
//	talos.V1_13.Form(talos.SettingKubeProxy) // {Kind: "v1alpha1", Path: "/cluster/proxy"}
//	c.ControlPlaneOnly("KubeProxyConfig") // true
//	c.Kubernetes()                        // 1.32.0 to 1.37.x, default 1.37.0
//
// The zero Contract is invalid: a function given it returns an error naming the parameter,
// never a guess at "the newest".
package talos
