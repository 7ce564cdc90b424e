using Automations.Data;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Dispatch;

/// <summary>
/// When a failing endpoint is switched off. A burst of failures is not enough (a short outage during a burst would
/// otherwise disable a webhook whose every run would have succeeded on its retry): only an endpoint on which every
/// attempt has failed for <see cref="DispatchOptions.DisableAfter"/>, and on which at least
/// <see cref="DispatchOptions.DisableAfterFailedRuns"/> runs have run out of retries, is disabled, as Svix and GitLab
/// do. One success resets it. Every count is one atomic UPDATE, in the attempt's transaction, so concurrent failures
/// on one or several instances are never lost.
/// </summary>
public static class EndpointFailures
{
    /// <summary>Records one attempt's outcome for its webhook; returns why the webhook was disabled just now, or null.</summary>
    public static async Task<string?> RecordAsync(AppDbContext db, int webhookId, bool succeeded, bool runFailed, bool gone, DateTimeOffset now,
        DispatchOptions settings, CancellationToken ct)
    {
        var webhooks = db.Webhooks.Where(w => w.Id == webhookId);
        if (succeeded)
        {
            // Writes only when there is something to reset, so a healthy endpoint's deliveries add no write.
            await webhooks.Where(w => w.ConsecutiveFailures != 0 || w.FailingSince != null || w.FailedRunsSinceFailing != 0)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(w => w.ConsecutiveFailures, 0)
                    .SetProperty(w => w.FailingSince, (DateTimeOffset?)null)
                    .SetProperty(w => w.FailedRunsSinceFailing, 0), ct);
            return null;
        }

        var failedRun = runFailed ? 1 : 0;
        await webhooks.ExecuteUpdateAsync(s => s
            .SetProperty(w => w.ConsecutiveFailures, w => w.ConsecutiveFailures + 1)
            .SetProperty(w => w.FailingSince, w => w.FailingSince ?? now)
            .SetProperty(w => w.FailedRunsSinceFailing, w => w.FailedRunsSinceFailing + failedRun), ct);

        string reason;
        IQueryable<Features.Webhooks.Webhook> disabling;
        if (gone)
        {
            reason = "The endpoint answered 410 Gone.";
            disabling = webhooks;
        }
        else
        {
            var since = now - settings.DisableAfter;
            var row = await webhooks.Select(w => new { w.FailingSince, w.FailedRunsSinceFailing }).SingleAsync(ct);
            // No date in the text: pages show when it was disabled in the viewer's zone; this says for how long it failed.
            reason = $"Every delivery attempt has failed for {Span(now - (row.FailingSince ?? now))} and {row.FailedRunsSinceFailing} runs ran out of retries.";
            disabling = webhooks.Where(w => w.FailingSince <= since && w.FailedRunsSinceFailing >= settings.DisableAfterFailedRuns);
        }

        var disabled = await disabling.Where(w => !w.Disabled).ExecuteUpdateAsync(s => s
            .SetProperty(w => w.Disabled, true)
            .SetProperty(w => w.DisabledReason, reason)
            .SetProperty(w => w.DisabledAt, now), ct);
        return disabled == 1 ? reason : null;
    }

    /// <summary>"3 days", "5 hours", "1 minute": the largest whole unit.</summary>
    internal static string Span(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } => Count((int)span.TotalDays, "day"),
        { TotalHours: >= 1 } => Count((int)span.TotalHours, "hour"),
        _ => Count(Math.Max(1, (int)span.TotalMinutes), "minute"),
    };

    private static string Count(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
}
