namespace Automations.Features.Dispatch;

/// <summary>Configuration section "Dispatch".</summary>
public sealed class DispatchOptions
{
    public const string Section = "Dispatch";

    /// <summary>Delays before attempts 2, 3, ...: after the first attempt 5 s, then 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.</summary>
    public TimeSpan[] RetrySchedule { get; set; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>
    /// The schedule exactly as configured: array items (<c>Dispatch:RetrySchedule:0</c>, …) or one comma-separated
    /// value (<c>--Dispatch:RetrySchedule=00:00:05,00:05:00</c>); null when none is configured. An empty string
    /// means no retries.
    /// </summary>
    public static TimeSpan[]? ConfiguredSchedule(IConfigurationSection section)
    {
        var schedule = section.GetSection(nameof(RetrySchedule));
        var items = schedule.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue).Select(c => c.Value ?? "").ToList();
        if (items.Count == 0 && schedule.Value is null)
        {
            return null;
        }

        return (items.Count > 0 ? items : schedule.Value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList())
            .Select(v => TimeSpan.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var delay) && delay >= TimeSpan.Zero
                ? delay
                : throw new InvalidOperationException($"Dispatch:RetrySchedule: '{v}' is not a delay (use hh:mm:ss, e.g. 00:00:05)."))
            .ToArray();
    }

    /// <summary>Each delay is moved by up to ± this fraction, so retries of many runs do not arrive together.</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>A Retry-After longer than this is capped (an endpoint cannot park a run for days).</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(10);

    /// <summary>A webhook is disabled only after every attempt has failed for this long (and <see cref="DisableAfterFailedRuns"/>).</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>…and at least this many runs have run out of retries in that time.</summary>
    public int DisableAfterFailedRuns { get; set; } = 5;

    /// <summary>Recovering a webhook's failed runs sends at most this many per second, so the endpoint that just came back is not flooded.</summary>
    public double RecoverPerSecond { get; set; } = 5;

    /// <summary>When an attempt that crashed cannot even be recorded, the run is tried again after this.</summary>
    public TimeSpan FallbackRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a worker owns an attempt. Unless configured: the outbound request timeout plus <see cref="LeaseMargin"/>
    /// (30 s by default), so after a crash the run is taken over soon after its attempt can no longer be in flight.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Rendering, signing and recording around the request itself.</summary>
    public static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(15);

    /// <summary>How often due, unleased runs are handed to Hangfire again (it forgets its queue on restart).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A due run is re-enqueued by the sweeper only after this grace, so the normal path does not get duplicates.</summary>
    public TimeSpan SweepGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A run the sweeper handed to the queue is handed again only after this long (it may be waiting in a backlog).</summary>
    public TimeSpan SweepRepeat { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An attempt in flight longer than this marks its webhook slow: its deliveries move to the slow queue.</summary>
    public TimeSpan SlowThreshold { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// At most this many attempts per webhook run on the default workers at once; more go to the slow lane.
    /// Bounds how many workers one endpoint can hold before it is known to be slow.
    /// </summary>
    public int MaxInFlightPerWebhook { get; set; } = 5;

    /// <summary>How long a webhook stays slow after its last slow attempt.</summary>
    public TimeSpan SlowMemory { get; set; } = TimeSpan.FromMinutes(5);
}
