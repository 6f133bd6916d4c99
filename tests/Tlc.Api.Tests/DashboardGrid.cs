using Microsoft.Playwright;

namespace Tlc.Api.Tests;

/// <summary>
/// Drives the dashboard's virtual grid (<c>data-testid="grid-scroller"</c>) in a browser: scroll it and wait until the
/// rows in view are loaded; read every matched row in order by scrolling it through.
/// </summary>
internal static class DashboardGrid
{
    private const string Loaded = """
        const s = document.querySelector('[data-testid=grid-scroller]');
        const loaded = () => new Promise(resolve => { const check = () => s.dataset.loading === 'false' ? resolve() : requestAnimationFrame(check); check(); });
        """;

    /// <summary>
    /// Sets the scroller's <c>scrollTop</c> (<paramref name="where"/>: a pixel count, <c>"middle"</c> or <c>"end"</c>) and
    /// waits until the rows in view are shown; answers the milliseconds that took and the first row position shown.
    /// </summary>
    public static async Task<(double Milliseconds, long Top)> ScrollAsync(IPage page, string where)
    {
        var answer = await page.EvaluateAsync<double[]>($$"""
            async where => {
              {{Loaded}}
              const start = performance.now();
              s.scrollTop = where === 'end' ? s.scrollHeight : where === 'middle' ? (s.scrollHeight - s.clientHeight) / 2 : Number(where);
              await new Promise(resolve => requestAnimationFrame(resolve));
              await loaded();
              return [performance.now() - start, Number(s.dataset.top)];
            }
            """, where);
        return (answer[0], (long)answer[1]);
    }

    /// <summary>
    /// Every matched row in order, read by scrolling the grid through (then back to the top): for each, its <c>data-row</c>,
    /// the text of each of <paramref name="columns"/> and the number of thumbnails in the row.
    /// </summary>
    public static async Task<string[][]> RowsAsync(IPage page, params string[] columns) =>
        await page.EvaluateAsync<string[][]>($$"""
            async columns => {
              {{Loaded}}
              const matched = Number(s.dataset.matched);
              const out = [];
              while (out.length < matched) {
                const before = out.length;
                s.scrollToRow(out.length);
                await loaded();
                const top = Number(s.dataset.top);
                [...s.querySelectorAll('tr[data-row]')].forEach((tr, i) => {
                  if (top + i !== out.length) return;
                  out.push([tr.dataset.row, ...columns.map(c => tr.querySelector(`td[data-column="${c}"]`)?.textContent ?? ''), String(tr.querySelectorAll('img.thumb').length)]);
                });
                if (out.length === before) break;
              }
              s.scrollToRow(0);
              await loaded();
              return out;
            }
            """, columns);
}
