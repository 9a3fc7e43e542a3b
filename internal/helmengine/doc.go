// Package helmengine is a second implementation of Helm's template engine
// (helm.sh/helm/v4/pkg/engine, as `helm template` runs it), for the render core (package
// manifests) only. It exists for speed: it parses a chart's templates on every core, once per
// Renderer, and even while the chart is still being unpacked (Pipeline), which Helm's engine,
// parsing file after file inside Engine.Render, cannot. Execution follows Helm's exactly.
//
// It is only ever trusted with success: any failure wraps ErrGaveUp and the caller renders
// with Helm's engine, so every error a user sees is Helm's. The exception is ErrCyclicValue: a
// template that puts a dict inside itself is refused here, as Helm's engine would die of a
// stack overflow on it.
//
// Besides the engine it holds what only its execution can do: a Recorder of the calls of
// functions that depend on randomness or the clock, for deterministic renders.
//
// The tests compare its output with Helm's engine for every shipped Cilium chart and many
// value sets.
package helmengine
