package scenarios_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// After a card_pulled scenario the slot must take the next card as a new
// one: vpcd polls presence every 400 ms, and a card swapped inside one
// poll is never reported, so the terminal waits for it until TIMEOUT. The
// runner waits for the reader to report the slot empty after a removal
// and confirms every insertion through PC/SC.
var _ = Describe("the card slot after a pulled card", Label("chip", "slot"), Serial, func() {
	BeforeEach(upRig, NodeTimeout(2*time.Minute))
	It("runs a normal scenario right after card_pulled, every time", func(ctx SpecContext) {
		pulled, err := scenario.Load("chip/card-pulled.yaml")
		Expect(err).NotTo(HaveOccurred())
		normal, err := scenario.Load("chip/approved-sale.yaml")
		Expect(err).NotTo(HaveOccurred())
		for round := 1; round <= 3; round++ {
			res := rig.Run(ctx, pulled)
			report(res)
			Expect(res.Class).To(Equal(verdict.Pass), "round %d, %s: %s", round, pulled.File, res.Reason)
			res = rig.Run(ctx, normal)
			report(res)
			Expect(res.Class).To(Equal(verdict.Pass), "round %d, %s after card_pulled: %s", round, normal.File, res.Reason)
		}
	}, SpecTimeout(4*time.Minute))
})
