package cdctest_test

import (
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
)

func TestFakeSourceConformance(t *testing.T) {
	cdctest.TestSource(t, cdctest.SourceHarness{
		Setup: func(t *testing.T) (cdc.Source, func(*testing.T, int)) {
			src := cdctest.NewSource(cdctest.SourceConfig{Live: true})
			return src, func(_ *testing.T, n int) { src.Generate(n) }
		},
	})
}
