import { render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import App from '../../App.svelte';
import { demoOrders, installFakeOrders } from '../../test/fakeOrders';
import { when } from '../orders/orders';

// jsdom draws no canvas: stand in for uPlot and keep what it was given.
const charts = vi.hoisted(() => [] as { data: number[][]; destroyed: boolean }[]);
vi.mock('uplot', () => ({
  default: class {
    chart: { data: number[][]; destroyed: boolean };
    constructor(_opts: unknown, data: number[][]) {
      this.chart = { data, destroyed: false };
      charts.push(this.chart);
    }
    setSize() {}
    destroy() {
      this.chart.destroyed = true;
    }
  },
}));

describe('dashboard', () => {
  beforeEach(() => {
    vi.stubGlobal(
      'ResizeObserver',
      class {
        observe() {}
        disconnect() {}
      },
    );
    vi.stubGlobal('matchMedia', () => ({ addEventListener() {}, removeEventListener() {} }));
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("shows the day's and month's sales, what waits, what runs low, and 30 days of sales", async () => {
    installFakeOrders();
    window.location.hash = '#/admin/dashboard';
    render(App);
    expect(await screen.findByTestId('sales-today')).toHaveTextContent('$44.00');
    expect(screen.getByTestId('sales-month')).toHaveTextContent('$128.00');
    expect(screen.getByText('Since November 1')).toBeInTheDocument();
    expect(screen.getByTestId('to-fulfil')).toHaveTextContent('1');
    expect(screen.getByTestId('low-stock')).toHaveTextContent('2');
    expect(screen.getByTestId('sales-30-days')).toHaveTextContent('$440.00');
    expect(screen.getByRole('link', { name: 'Orders to fulfil' })).toHaveAttribute(
      'href',
      '#/admin/orders?show=to-fulfil',
    );
    await waitFor(() => expect(charts).toHaveLength(1));
    const chart = charts[0]!;
    expect(chart.data[0]).toHaveLength(30);
    expect(chart.data[0]![0]).toBe(Date.UTC(2026, 9, 29) / 1000);
    expect(chart.data[1]!.slice(0, 4)).toEqual([44, 0, 0, 44]);
    // The same figures, in words, for screen readers.
    expect(screen.getByRole('table', { name: 'Sales per day' })).toBeInTheDocument();
  });

  it('highlights the disputes waiting for an answer, with the nearest deadline, and links to them', async () => {
    installFakeOrders();
    window.location.hash = '#/admin/dashboard';
    render(App);
    const count = await screen.findByTestId('disputes');
    expect(count).toHaveTextContent('1');
    expect(count).toHaveClass('warn');
    expect(count.closest('.card')).toHaveClass('warn-card');
    expect(screen.getByTestId('dispute-deadline')).toHaveTextContent(
      `Next deadline ${when('2026-12-04T23:59:59Z')}`,
    );
    expect(screen.getByRole('link', { name: 'Disputes to answer' })).toHaveAttribute(
      'href',
      '#/admin/orders?show=disputed',
    );
  });

  it('highlights the oversold orders as trouble and links to them', async () => {
    installFakeOrders();
    window.location.hash = '#/admin/dashboard';
    render(App);
    const count = await screen.findByTestId('oversold');
    expect(count).toHaveTextContent('1');
    expect(count).toHaveClass('danger');
    expect(count.closest('.card')).toHaveClass('danger-card');
    expect(screen.getByTestId('oversold-note')).toHaveTextContent('Paid for, not in stock: restock or refund');
    expect(screen.getByRole('link', { name: 'Oversold orders' })).toHaveAttribute(
      'href',
      '#/admin/orders?show=oversold',
    );
  });

  it('keeps the oversold card calm when every paid order has its stock', async () => {
    installFakeOrders(demoOrders().map((o) => ({ ...o, oversold_units: 0 })));
    window.location.hash = '#/admin/dashboard';
    render(App);
    const count = await screen.findByTestId('oversold');
    expect(count).toHaveTextContent('0');
    expect(count).not.toHaveClass('danger');
    expect(count.closest('.card')).not.toHaveClass('danger-card');
    expect(screen.getByTestId('oversold-note')).toHaveTextContent('Every paid order has its stock');
  });

  it('keeps the disputes card calm when none waits for an answer', async () => {
    installFakeOrders(demoOrders().map((o) => ({ ...o, dispute: null })));
    window.location.hash = '#/admin/dashboard';
    render(App);
    const count = await screen.findByTestId('disputes');
    expect(count).toHaveTextContent('0');
    expect(count).not.toHaveClass('warn');
    expect(count.closest('.card')).not.toHaveClass('warn-card');
    expect(screen.getByTestId('dispute-deadline')).toHaveTextContent('None waiting for you');
  });
});
