// Command terraform-provider-talospatch is a Terraform provider on the talospatch library: Talos
// Linux machine configurations, talosconfigs and whole clusters, offline and deterministic.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/talospatch/talospatch/examples/terraform-provider/provider"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "run with support for debuggers (prints TF_REATTACH_PROVIDERS)")
	flag.Parse()

	quietSDKLogs()

	stopProfile := startProfile()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/talospatch/talospatch",
		Debug:   *debug,
	})

	stopProfile()
	reportCPU() // Serve returns when terraform stops the provider

	if err != nil {
		log.Fatal(err)
	}
}

// quietSDKLogs turns the plugin SDK's own loggers off when no TF_LOG* variable is set. Terraform
// then shows no provider logs, but the SDK's loggers default to TRACE: the framework would
// format a JSON line for every step of every request (a 100-node plan value many times over)
// and terraform would read each one only to drop it. With any TF_LOG* variable set (TF_LOG,
// TF_LOG_PROVIDER, TF_LOG_SDK_FRAMEWORK, ...) nothing is changed.
func quietSDKLogs() {
	for _, kv := range os.Environ() {
		if name, value, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TF_LOG") && value != "" {
			return
		}
	}

	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"} {
		os.Setenv(name, "OFF")
	}
}
