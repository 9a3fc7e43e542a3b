//go:build tools

// Package tools pins k8s.io/kubernetes/cmd/kube-apiserver in this module, so that
// `go build k8s.io/kubernetes/cmd/kube-apiserver` resolves from go.mod and go.sum alone.
// It is never compiled (build tag tools).
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
