// Package scenarios is the scenario library: one YAML file per scenario,
// grouped by fault family in folders, and the Ginkgo suite that turns every
// file into a spec carrying its labels (go test ./scenarios
// -ginkgo.label-filter='pin'). `poshil run` runs the same files with the same
// runner, so both give the same verdicts.
package scenarios
