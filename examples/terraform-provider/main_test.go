package main

import (
	"os"
	"strings"
	"testing"
)

// clearLogEnv unsets every TF_LOG* variable for the test (t.Setenv restores them after).
func clearLogEnv(t *testing.T) {
	t.Helper()

	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TF_LOG") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

func TestQuietSDKLogs(t *testing.T) {
	clearLogEnv(t)

	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"} {
		t.Setenv(name, "")
	}

	quietSDKLogs()

	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"} {
		if got := os.Getenv(name); got != "OFF" {
			t.Errorf("%s = %q with no TF_LOG* set, want OFF", name, got)
		}
	}
}

func TestQuietSDKLogsKeepsAUsersLevel(t *testing.T) {
	for _, set := range []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_TALOSPATCH"} {
		t.Run(set, func(t *testing.T) {
			clearLogEnv(t)
			t.Setenv(set, "TRACE")

			quietSDKLogs()

			for _, kv := range os.Environ() {
				if name, value, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TF_LOG") && name != set && value != "" {
					t.Errorf("%s set to %q although the user set %s", name, value, set)
				}
			}
		})
	}
}
