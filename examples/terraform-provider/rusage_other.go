//go:build !unix

package main

// reportCPU reports nothing where getrusage is missing.
func reportCPU() {}
