// Command terraform-provider-talospatch is a Terraform provider on the talospatch library: Talos
// Linux machine configurations, talosconfigs and whole clusters, offline and deterministic.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/talospatch/talospatch/examples/terraform-provider/provider"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "run with support for debuggers (prints TF_REATTACH_PROVIDERS)")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/talospatch/talospatch",
		Debug:   *debug,
	})

	reportCPU() // Serve returns when terraform stops the provider

	if err != nil {
		log.Fatal(err)
	}
}
