// helmread prints what Helm reads from YAML values files, for nexus's
// conformance test (tests/integration/helm_conformance.rs).
//
// Helm reads a values file with chartutil.ReadValues, which calls
// sigs.k8s.io/yaml.Unmarshal: gopkg.in/yaml.v2 decodes the YAML, the
// result is converted to JSON, and JSON is decoded into a map. This
// program does the same and prints the map as canonical JSON (sorted
// keys), one line per file: "OK <json>" or "ERR <message>".
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, path := range os.Args[1:] {
		data, err := ioutil.ReadFile(path)
		if err != nil {
			fmt.Fprintf(out, "ERR %s\n", oneLine(err.Error()))
			continue
		}
		var vals map[string]interface{}
		if err := yaml.Unmarshal(data, &vals); err != nil {
			fmt.Fprintf(out, "ERR %s\n", oneLine(err.Error()))
			continue
		}
		if vals == nil {
			vals = map[string]interface{}{}
		}
		js, err := json.Marshal(vals)
		if err != nil {
			fmt.Fprintf(out, "ERR %s\n", oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(out, "OK %s\n", js)
	}
}

func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}
