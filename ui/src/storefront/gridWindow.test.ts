import { describe, expect, it } from 'vitest';

import { GAP, gridLayout, MIN_CARD_WIDTH, rowCount, visibleRows, wantsMore } from './gridWindow';

describe('grid layout', () => {
  it('fits as many columns as the narrowest card allows, like auto-fill', () => {
    expect(gridLayout(1192).columns).toBe(4);
    expect(gridLayout(4 * MIN_CARD_WIDTH + 3 * GAP).columns).toBe(4);
    expect(gridLayout(4 * MIN_CARD_WIDTH + 3 * GAP - 1).columns).toBe(3);
    expect(gridLayout(300).columns).toBe(1);
    // Not measured yet (0 wide): one column rather than none.
    expect(gridLayout(0).columns).toBe(1);
  });

  it('makes rows as tall as a 4:3 picture and the text under it', () => {
    const layout = gridLayout(1192);
    expect(layout.cardWidth).toBe(280);
    // (280 - 2) × 3/4 + 2 + 78
    expect(layout.rowHeight).toBe(289);
    expect(layout.stride).toBe(289 + GAP);
  });

  it('counts a started row as a row', () => {
    expect(rowCount(46, 4)).toBe(12);
    expect(rowCount(48, 4)).toBe(12);
    expect(rowCount(0, 4)).toBe(0);
  });
});

describe('visible rows', () => {
  const layout = gridLayout(1192); // stride 313
  const rows = 2500; // 10,000 products

  it('renders the rows the viewport shows, and pads for the rest', () => {
    // The grid starts 326 px down an 800 px window: its first 474 px show, rows 0 and 1.
    const w = visibleRows(layout, rows, -326, 800, 0);
    expect(w).toEqual({ first: 0, end: 2, padTop: 0, padBottom: (rows - 2) * 313 });
  });

  it('adds the overscan above and below', () => {
    const w = visibleRows(layout, rows, 10_000, 800, 400);
    // 9,600 to 11,200: rows 30 (9,390–9,679) to 35 (10,955–11,244).
    expect(w.first).toBe(30);
    expect(w.end).toBe(36);
    expect(w.padTop).toBe(30 * 313);
    expect(w.padTop + (w.end - w.first) * 313 + w.padBottom).toBe(rows * 313);
  });

  it('leaves out a row that ends in the gap above the viewport', () => {
    // Row 0 ends at 289; the gap runs to 313.
    expect(visibleRows(layout, rows, 289, 800, 0).first).toBe(1);
    expect(visibleRows(layout, rows, 288, 800, 0).first).toBe(0);
    // Row 3 starts at 939: a viewport ending there does not show it.
    expect(visibleRows(layout, rows, 139, 800, 0).end).toBe(3);
    expect(visibleRows(layout, rows, 140, 800, 0).end).toBe(4);
  });

  it('stays inside the grid at both ends and when the list shrank under the viewport', () => {
    expect(visibleRows(layout, rows, -5000, 800, 400)).toEqual({
      first: 0,
      end: 0,
      padTop: 0,
      padBottom: rows * 313,
    });
    const bottom = visibleRows(layout, rows, rows * 313 - 500, 800, 400);
    expect(bottom.end).toBe(rows);
    expect(bottom.padBottom).toBe(0);
    // Scrolled far down, then a search left three rows: nothing to render, nothing to pad.
    expect(visibleRows(layout, 3, 50_000, 800, 400)).toEqual({
      first: 3,
      end: 3,
      padTop: 3 * 313,
      padBottom: 0,
    });
  });

  it('asks for the next page when few loaded rows are left below the window', () => {
    const loaded = 24; // rows of products loaded so far
    expect(wantsMore(visibleRows(layout, loaded, 0, 800, 400), loaded, 8)).toBe(false);
    expect(wantsMore(visibleRows(layout, loaded, 4000, 800, 400), loaded, 8)).toBe(true);
    expect(wantsMore(visibleRows(layout, 0, 0, 800, 400), 0, 8)).toBe(true);
  });
});
