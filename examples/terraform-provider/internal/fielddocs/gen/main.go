// Command gen writes the provider's attribute descriptions from the library's doc comments:
//
//	go run ./internal/fielddocs/gen -library ../.. -out provider/fielddocs_gen.go
package main

import (
	"flag"
	"log"
	"os"

	"github.com/talospatch/talospatch/examples/terraform-provider/internal/fielddocs"
)

func main() {
	library := flag.String("library", "../..", "the library's module root")
	out := flag.String("out", "provider/fielddocs_gen.go", "the file to write")
	pkg := flag.String("package", "provider", "the package of the file")
	flag.Parse()

	src, err := fielddocs.Generate(*library, *pkg)
	if err != nil {
		log.Fatal(err)
	}

	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
