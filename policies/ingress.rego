# An example policy. nexus runs every .rego file under policies/ over each
# rendered object and each app's Helm values (README: "Custom policies"):
# `deny` and `violation` rules report errors, `warn` rules warnings, and
# `path` points the finding at the layer line that set the value.
package ingress

import rego.v1

# Helm values: an ingress that is switched on serves TLS.
deny contains result if {
	data.nexus.kind == "values"
	input.ingress.enabled == true
	not input.ingress.tls
	result := {
		"msg": sprintf("%s: the ingress is enabled without TLS", [data.nexus.app]),
		"path": "ingress.enabled",
	}
}

# Ingress objects in app.manifests list their TLS hosts.
deny contains result if {
	input.kind == "Ingress"
	tls := object.get(input.spec, "tls", [])
	count(tls) == 0
	result := {
		"msg": sprintf("Ingress %s has no spec.tls", [input.metadata.name]),
		"path": "spec",
	}
}
