// The catalogue grid's geometry, kept pure so it can be tested: how many columns fit, how tall a
// row is, and which rows are near the viewport. Only those rows are put in the DOM; padding above
// and below the list stands in for the others. Every card has the same height (a 4:3 picture and
// a fixed text block), so a row's position follows from its number alone.

/** Narrowest a card may be; as many columns as fit at this width, stretched to fill the row. */
export const MIN_CARD_WIDTH = 220;
/** Space between cards, across and down (`--space-5`). */
export const GAP = 24;
/** The card's picture is 4 wide by 3 high. */
export const MEDIA_ASPECT = 3 / 4;
/** The card's title and price (a line each) under the picture, with its padding. */
export const CARD_BODY_HEIGHT = 78;
/** The card's 1 px border, top and bottom. */
export const CARD_BORDER = 2;

export interface GridLayout {
  columns: number;
  cardWidth: number;
  rowHeight: number;
  /** From the top of one row to the top of the next: a row and a gap. */
  stride: number;
}

/** The layout for a grid `width` pixels wide. */
export function gridLayout(width: number): GridLayout {
  const usable = Math.max(width, MIN_CARD_WIDTH);
  const columns = Math.max(1, Math.floor((usable + GAP) / (MIN_CARD_WIDTH + GAP)));
  const cardWidth = (usable - (columns - 1) * GAP) / columns;
  const rowHeight = Math.round((cardWidth - CARD_BORDER) * MEDIA_ASPECT + CARD_BORDER + CARD_BODY_HEIGHT);
  return { columns, cardWidth, rowHeight, stride: rowHeight + GAP };
}

export function rowCount(items: number, columns: number): number {
  return Math.ceil(items / columns);
}

/** The rows to render, `first` up to (not including) `end`, and the padding for the rest. */
export interface RowWindow {
  first: number;
  end: number;
  padTop: number;
  padBottom: number;
}

/**
 * The rows of a grid of `rows` rows that are within `overscan` pixels of the viewport, which
 * starts `viewTop` pixels below the grid's top (negative while the grid is further down the page)
 * and is `viewHeight` pixels tall.
 */
export function visibleRows(
  layout: GridLayout,
  rows: number,
  viewTop: number,
  viewHeight: number,
  overscan: number,
): RowWindow {
  const top = viewTop - overscan;
  const bottom = viewTop + viewHeight + overscan;
  // Row r spans [r * stride, r * stride + rowHeight): it shows if it ends below `top` and starts
  // above `bottom`.
  const first = clamp(Math.floor((top + GAP) / layout.stride), 0, rows);
  const end = clamp(Math.ceil(bottom / layout.stride), first, rows);
  return {
    first,
    end,
    padTop: first * layout.stride,
    padBottom: (rows - end) * layout.stride,
  };
}

/** Whether to fetch the next page: fewer than `ahead` loaded rows are left below the window. */
export function wantsMore(window: RowWindow, rows: number, ahead: number): boolean {
  return rows - window.end < ahead;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
