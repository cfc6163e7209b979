package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Chart geometry, in pixels. basicfont's face is 7x13.
const (
	chartWidth  = 1000
	labelWidth  = 90  // target names left of the bars
	valueWidth  = 124 // figures right of the bars
	chartMargin = 16
	barHeight   = 16
	barGap      = 4
	panelTitle  = 22
	panelGap    = 14
	headerH     = 52
)

// targetColors gives every target and engine the same colour in each panel.
var targetColors = map[string]color.RGBA{
	"velox":   {0xd9, 0x48, 0x1c, 0xff},
	"nginx":   {0x2c, 0x8c, 0x3c, 0xff},
	"haproxy": {0x1f, 0x5f, 0xb4, 0xff},
	"goproxy": {0x8a, 0x5c, 0xb8, 0xff},
	"direct":  {0x80, 0x80, 0x80, 0xff},
	"gnet":    {0x1f, 0x9e, 0xa8, 0xff},
	"netpoll": {0xc9, 0x9a, 0x18, 0xff},
}

// panel is one group of bars sharing a scale: a scenario or a yardstick
// workload.
type panel struct {
	title string
	unit  string
	bars  []bar
}

type bar struct {
	name  string
	value float64 // NaN: no figure
}

// chartPanels turns the medians of r into panels, in report order.
func chartPanels(r *Results) []panel {
	var ps []panel
	if len(r.Runs) > 0 {
		for _, sc := range r.scenarioNames() {
			p := panel{title: sc + ": " + scenarioDesc(sc), unit: "req/s"}
			for _, t := range r.targetNames() {
				p.bars = append(p.bars, bar{t, r.SummarizeRuns(sc, t).Rate})
			}
			ps = append(ps, p)
		}
	}
	titles := map[string]string{
		"echo": "engine yardstick echo: 64 conns, 64-byte ping-pong",
		"http": "engine yardstick http: 64 conns, fixed response per request",
	}
	units := map[string]string{"echo": "msg/s", "http": "req/s"}
	ps = append(ps, h2ChartPanels(r)...)
	ps = append(ps, grpcChartPanels(r)...)
	ps = append(ps, tcpChartPanels(r)...)
	ps = append(ps, rpcChartPanels(r)...)
	ps = append(ps, tlsChartPanels(r)...)
	if len(r.Engine) > 0 {
		for _, mode := range engineModes {
			p := panel{title: titles[mode], unit: units[mode]}
			for _, e := range engineOrder {
				s := r.SummarizeEngine(mode, e)
				if s.Runs+s.Failed > 0 {
					p.bars = append(p.bars, bar{e, s.Rate})
				}
			}
			ps = append(ps, p)
		}
	}
	return ps
}

// renderChart draws the panels of r as horizontal bars, each panel on its
// own scale, and encodes them as PNG.
func renderChart(r *Results) ([]byte, error) {
	ps := chartPanels(r)
	h := headerH + chartMargin
	for _, p := range ps {
		h += panelTitle + len(p.bars)*(barHeight+barGap) + panelGap
	}
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	black := color.RGBA{0x20, 0x20, 0x20, 0xff}
	grey := color.RGBA{0x60, 0x60, 0x60, 0xff}

	text(img, chartMargin, 20, black, fmt.Sprintf("velox benchmark %s, commit %s (medians of %d round(s), %v each)",
		r.Started.UTC().Format("2006-01-02"), r.Commit, r.Settings.Rounds, r.Settings.Duration))
	text(img, chartMargin, 38, grey, fmt.Sprintf("%d cores, kernel %s; target on CPU %d, load and origin on CPU %d; one loop/worker/thread each",
		r.Machine.Cores, r.Machine.Kernel, cpuTarget, cpuLoad))

	y := headerH
	barX := chartMargin + labelWidth
	barMax := chartWidth - barX - valueWidth - chartMargin
	for _, p := range ps {
		text(img, chartMargin, y+15, black, p.title)
		y += panelTitle
		top := 0.0
		for _, b := range p.bars {
			if !math.IsNaN(b.value) {
				top = math.Max(top, b.value)
			}
		}
		for _, b := range p.bars {
			text(img, chartMargin, y+12, black, b.name)
			label := "no figure"
			if !math.IsNaN(b.value) && top > 0 {
				w := int(math.Round(b.value / top * float64(barMax)))
				draw.Draw(img, image.Rect(barX, y, barX+max(w, 1), y+barHeight), image.NewUniform(targetColors[b.name]), image.Point{}, draw.Src)
				label = fmtRate(b.value) + " " + p.unit
				text(img, barX+w+6, y+12, black, label)
			} else {
				text(img, barX+6, y+12, grey, label)
			}
			y += barHeight + barGap
		}
		y += panelGap
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// text draws s with its baseline at (x, y).
func text(img draw.Image, x, y int, c color.Color, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
