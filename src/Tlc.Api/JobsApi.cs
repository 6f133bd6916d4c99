using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tlc.Cluster;

namespace Tlc.Api;

/// <summary>
/// The endpoints that follow the cluster's jobs of every kind — what <c>tlc jobs</c> lists: collect-metrics, import and
/// rank-writer (stream) jobs — for the dashboard's jobs page, trainers and any script (JSON; errors as in
/// <see cref="ApiHandling"/>):
/// <list type="bullet">
/// <item><c>GET /v1/jobs?kind=</c>: the newest jobs the cluster remembers (the latest 1,000), newest first, of one kind
/// (<c>metrics</c>, <c>import</c>, <c>stream</c>) when asked.</item>
/// <item><c>GET /v1/jobs/{id}</c>: one job; 404 when there is none.</item>
/// </list>
/// Both answer a job in one shape (<see cref="Json"/>): <c>job</c> (its id), <c>kind</c>, <c>status</c>,
/// <c>description</c>, <c>run</c>; its items (<c>unit</c> names one: shard, chunk, part) <c>items</c>,
/// <c>items_committed</c>, <c>items_leased</c>, <c>items_failed</c>; <c>rows</c> committed and <c>rows_expected</c>
/// (0 when not known), <c>bytes</c>, <c>bytes_committed</c>, <c>rows_per_second</c>, <c>eta_seconds</c>,
/// <c>retries</c>, <c>lease_expirations</c>; <c>submitted</c>, <c>started</c>, <c>finished</c>; <c>result</c> (the
/// published table's URL), <c>quarantine</c> and <c>rows_quarantined</c> (imports); <c>errors</c>; and for jobs of
/// writers (a rank each) <c>writers</c>, <c>writers_closed</c>, <c>waiting_for</c> (the first writers not closed) and
/// <c>writer_noun</c>.
/// </summary>
internal static class JobsApi
{
    public static void Map(IEndpointRouteBuilder app, ClusterContext context)
    {
        app.MapGet("/v1/jobs", (Func<HttpContext, Task<IResult>>)(http => ApiHandling.Handle(http, async () =>
        {
            var kind = http.Request.Query["kind"].ToString() switch
            {
                "" => null,
                var k when k is JobKinds.Metrics or JobKinds.Import or JobKinds.Stream => k,
                var other => throw new ApiException(400, $"kind: expected {JobKinds.Metrics}, {JobKinds.Import} or {JobKinds.Stream} (got '{other}')."),
            };
            var jobs = await JobHandle.ListAsync(context, kind, http.RequestAborted);
            return Results.Json(new { jobs = jobs.Select(Json) });
        })));

        app.MapGet("/v1/jobs/{id}", (HttpContext http, string id) => ApiHandling.Handle(http, async () =>
        {
            var job = await JobHandle.AttachAsync(context, id, http.RequestAborted);
            return Results.Json(Json(await job.GetProgressAsync(http.RequestAborted)));
        }));
    }

    /// <summary>A job's progress as both endpoints answer it.</summary>
    public static object Json(JobProgress p) => new
    {
        job = p.JobId,
        kind = p.Kind,
        status = p.Status.ToString().ToLowerInvariant(),
        description = p.Description,
        run = p.Run,
        unit = p.ItemNoun,
        items = p.Items,
        items_committed = p.ItemsCommitted,
        items_leased = p.ItemsLeased,
        items_failed = p.ItemsFailed,
        rows = p.RowsCommitted,
        rows_expected = p.Rows,
        bytes = p.Bytes,
        bytes_committed = p.BytesCommitted,
        rows_per_second = Math.Round(p.RowsPerSecond, 1),
        eta_seconds = p.Eta is { } eta ? Math.Round(eta.TotalSeconds, 1) : (double?)null,
        retries = p.Retries,
        lease_expirations = p.LeaseExpirations,
        submitted = p.Submitted,
        started = p.Started,
        finished = p.Finished,
        result = p.ResultUrl,
        quarantine = p.QuarantineTableUrl,
        rows_quarantined = p.RowsQuarantined,
        errors = p.Errors,
        writers = p.Writers,
        writers_closed = p.WritersClosed,
        waiting_for = p.WritersWaiting,
        writer_noun = p.WriterNoun,
    };
}
