package config_test

import (
	"testing"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/patches"
)

func BenchmarkLoadSecrets(b *testing.B) {
	data := benchSecrets(b)

	for b.Loop() {
		if _, err := config.LoadSecrets(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	s := loadBench(b)

	for b.Loop() {
		if _, err := config.Generate(demo(), s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeControlPlane(b *testing.B) {
	cfgs, err := config.Generate(demo(), loadBench(b))
	if err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		if _, err := config.Encode(cfgs.ControlPlane); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTalosconfig(b *testing.B) {
	s := loadBench(b)

	for b.Loop() {
		if _, err := config.Talosconfig(demo(), s, issued); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNode(b *testing.B) {
	cfgs, err := config.Generate(demo(), loadBench(b))
	if err != nil {
		b.Fatal(err)
	}

	layers := config.Layers{AllNodes: []patches.Patch{patches.MustParse(allNodesPatch)}}
	bld, err := cfgs.NewBuilder(layers)
	if err != nil {
		b.Fatal(err)
	}

	n := config.Node{Role: config.RoleWorker, Patches: []patches.Patch{patches.MustParse(`[{"op":"add","path":"/machine/sysctls/d","value":"5"}]`)}}

	for b.Loop() {
		if _, err := bld.Build(n); err != nil {
			b.Fatal(err)
		}
	}
}
