using System.Diagnostics;
using System.Diagnostics.Metrics;
using Automations.Data;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Automations.Infrastructure.Telemetry;

/// <summary>
/// The engine's instruments (meter <c>Automations</c>): what happened, counted where it happens, and what is waiting,
/// read from the database when a scraper asks (at most once per <see cref="TelemetryOptions.GaugeCache"/>).
/// </summary>
public sealed class EngineMetrics
{
    public const string MeterName = "Automations";

    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _attemptDuration;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _webhooksDisabled;
    private readonly Histogram<double> _launchWait;
    private readonly Counter<long> _retentionRemoved;
    private readonly IDbContextFactory<AppDbContext> _dbFactory;
    private readonly TimeProvider _clock;
    private readonly IOptionsMonitor<TelemetryOptions> _options;
    private readonly IOptionsMonitor<LaunchOptions> _launchOptions;
    private readonly ILogger<EngineMetrics> _logger;
    private readonly Lock _gate = new();
    private Waiting _waiting = new(0, 0, 0, 0, 0);
    private long _waitingReadAt = long.MinValue;

    public EngineMetrics(IMeterFactory meters, IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock,
        IOptionsMonitor<TelemetryOptions> options, IOptionsMonitor<LaunchOptions> launchOptions, ILogger<EngineMetrics> logger)
    {
        (_dbFactory, _clock, _options, _launchOptions, _logger) = (dbFactory, clock, options, launchOptions, logger);
        var meter = meters.Create(MeterName, ProductInfo.Version);
        _deliveries = meter.CreateCounter<long>("automations.deliveries", "{attempt}",
            "Delivery attempts by outcome (succeeded, will_retry, failed) and action type (webhook, job).");
        _attemptDuration = meter.CreateHistogram<double>("automations.delivery.duration", "s",
            "How long one delivery attempt took, from lease to its record.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _retries = meter.CreateCounter<long>("automations.retries.scheduled", "{retry}", "Retries scheduled after a failed attempt, by action type.");
        _webhooksDisabled = meter.CreateCounter<long>("automations.webhooks.disabled", "{webhook}", "Webhooks disabled after failing too long (or answering 410).");
        _launchWait = meter.CreateHistogram<double>("automations.launch.wait", "s", "How long a launch run waited in its queue before an agent claimed it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 5, 10, 30, 60, 300, 900, 3600] });
        _retentionRemoved = meter.CreateCounter<long>("automations.retention.removed", "{row}", "Rows removed by the retention job, by kind (Attempts, Runs, LaunchRuns, Events, IdempotencyKeys, ...).");
        meter.CreateObservableGauge("automations.dispatch.backlog", () => Read().DueRuns, "{run}",
            "Runs due for an attempt that no worker has started (a growing number means the workers cannot keep up).");
        meter.CreateObservableGauge("automations.dispatch.backlog.age", () => Read().OldestDueSeconds, "s",
            "How long the oldest due, unstarted run has been due.");
        meter.CreateObservableGauge("automations.launch.queued", () => Read().QueuedLaunchRuns, "{run}", "Launch runs waiting in their queues for an agent.");
        meter.CreateObservableGauge("automations.launch.queued.age", () => Read().OldestQueuedSeconds, "s", "How long the oldest queued launch run has waited.");
        meter.CreateObservableGauge("automations.agents.online", () => Read().OnlineAgents, "{agent}", "Agents that sent a heartbeat within Launch:AgentTimeout.");
    }

    public void AttemptRecorded(string actionType, AttemptOutcome outcome, TimeSpan duration)
    {
        var tags = new TagList { { "action_type", actionType }, { "outcome", OutcomeName(outcome) } };
        _deliveries.Add(1, tags);
        _attemptDuration.Record(Math.Max(0, duration.TotalSeconds), tags);
        if (outcome == AttemptOutcome.WillRetry)
        {
            _retries.Add(1, new KeyValuePair<string, object?>("action_type", actionType));
        }
    }

    public void WebhookDisabled() => _webhooksDisabled.Add(1);

    public void LaunchRunClaimed(TimeSpan waited) => _launchWait.Record(Math.Max(0, waited.TotalSeconds));

    public void RetentionRemoved(string kind, int rows) => _retentionRemoved.Add(rows, new KeyValuePair<string, object?>("kind", kind));

    private static string OutcomeName(AttemptOutcome outcome) => outcome switch
    {
        AttemptOutcome.Succeeded => "succeeded",
        AttemptOutcome.WillRetry => "will_retry",
        _ => "failed",
    };

    private Waiting Read()
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            if (_waitingReadAt != long.MinValue && _clock.GetElapsedTime(_waitingReadAt, now) < _options.CurrentValue.GaugeCache)
            {
                return _waiting;
            }

            try
            {
                _waiting = Query();
            }
            catch (Exception ex)
            {
                // A scrape must not fail because the database is away for a moment: report the last reading.
                _logger.LogWarning("Reading the engine's gauges failed: {Error}", ex.Message);
            }

            _waitingReadAt = now;
            return _waiting;
        }
    }

    /// <summary>Five small indexed reads; gauges are read synchronously by the exporters.</summary>
    private Waiting Query()
    {
        using var db = _dbFactory.CreateDbContext();
        var now = _clock.GetUtcNow();
        var due = db.AutomationRuns.AsNoTracking()
            .Where(r => (r.Status == RunStatus.Pending || r.Status == RunStatus.Retrying) && r.NextAttemptAt != null && r.NextAttemptAt <= now
                        && (r.LeaseExpiresAt == null || r.LeaseExpiresAt < now));
        var dueCount = due.Count();
        var oldestDue = dueCount == 0 ? null : due.OrderBy(r => r.NextAttemptAt).Select(r => r.NextAttemptAt).FirstOrDefault();
        var queued = db.LaunchRuns.AsNoTracking().Where(r => r.Status == LaunchRunStatus.Queued);
        var queuedCount = queued.Count();
        var oldestQueued = queuedCount == 0 ? (DateTimeOffset?)null : queued.OrderBy(r => r.Id).Select(r => r.CreatedAt).FirstOrDefault();
        var onlineSince = now - _launchOptions.CurrentValue.AgentTimeout;
        var online = db.LaunchAgents.AsNoTracking().Count(a => a.StoppedAt == null && a.LastHeartbeatAt >= onlineSince);
        return new Waiting(dueCount, Age(oldestDue), queuedCount, Age(oldestQueued), online);

        double Age(DateTimeOffset? since) => since is null ? 0 : Math.Max(0, (now - since.Value).TotalSeconds);
    }

    private sealed record Waiting(long DueRuns, double OldestDueSeconds, long QueuedLaunchRuns, double OldestQueuedSeconds, long OnlineAgents);
}
