using System.Globalization;
using Microsoft.Extensions.Options;

namespace Automations.Features.Retention;

/// <summary>
/// Configuration section "Retention": one key per registered kind (<c>Retention:Attempts</c> = days, 0 keeps forever)
/// beside how the removal runs.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Rows removed per write transaction: small enough that a delivery waiting for the write lock barely notices.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>The shortest wait after each batch, in which deliveries' writes take the lock.</summary>
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The wait after a batch is also at least this many times as long as the batch took (3: retention takes at most a
    /// quarter of the time). A batch that waited for the write lock or ran slowly is a busy database: the job backs off.
    /// </summary>
    public double PauseFactor { get; set; } = 3;

    /// <summary>When the retention job runs (cron, UTC): by default daily at 03:30.</summary>
    public string Schedule { get; set; } = "30 3 * * *";

    /// <summary>Days each registered kind is kept, by kind: its <c>Retention:&lt;Kind&gt;</c> setting, or its default. 0 keeps forever.</summary>
    public Dictionary<string, int> Days { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The keys of the section that are settings rather than kinds.</summary>
    internal static readonly string[] Settings = [nameof(BatchSize), nameof(BatchPause), nameof(PauseFactor), nameof(Schedule)];
}

/// <summary>Fills <see cref="RetentionOptions.Days"/> from the section for every registered kind.</summary>
internal sealed class RetentionDays(IConfiguration configuration, IEnumerable<IRetentionPolicy> policies) : IPostConfigureOptions<RetentionOptions>
{
    public void PostConfigure(string? name, RetentionOptions options)
    {
        var section = configuration.GetSection(RetentionOptions.Section);
        foreach (var policy in policies)
        {
            // A value that is not a whole number is reported by the validator; here it stays at the default.
            options.Days[policy.Kind] = int.TryParse(section[policy.Kind], NumberStyles.None, CultureInfo.InvariantCulture, out var days) ? days : policy.DefaultDays;
        }
    }
}

/// <summary>Refuses to start on a retention setting that is wrong, naming the key: a typo must not keep or lose data silently.</summary>
internal sealed class RetentionValidation(IConfiguration configuration, IEnumerable<IRetentionPolicy> policies) : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var errors = new List<string>();
        var kinds = policies.Select(p => p.Kind).ToList();
        foreach (var child in configuration.GetSection(RetentionOptions.Section).GetChildren())
        {
            if (kinds.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                if (!int.TryParse(child.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days > 36_500)
                {
                    errors.Add($"Retention:{child.Key}: '{child.Value}' is not a number of days (a whole number from 0, which keeps forever, to 36500).");
                }
            }
            else if (!RetentionOptions.Settings.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"Retention:{child.Key} is not a retention setting; the kinds are {string.Join(", ", kinds)}, the settings {string.Join(", ", RetentionOptions.Settings)}.");
            }
        }

        if (options.BatchSize is < 1 or > 10_000)
        {
            errors.Add($"Retention:BatchSize: {options.BatchSize} is not between 1 and 10000.");
        }

        if (options.PauseFactor is < 0 or > 100 || double.IsNaN(options.PauseFactor))
        {
            errors.Add($"Retention:PauseFactor: {options.PauseFactor} is not between 0 and 100.");
        }

        if (options.BatchPause < TimeSpan.Zero || options.BatchPause > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Retention:BatchPause: {options.BatchPause} is not between 00:00:00 and 00:01:00.");
        }

        // The shape only (Hangfire keeps its cron parser to itself); a value out of range is refused when the job is scheduled at start.
        if (options.Schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries) is not { Length: 5 or 6 } fields
            || !fields.All(f => f.All(c => char.IsAsciiLetterOrDigit(c) || "*/,-?#".Contains(c))))
        {
            errors.Add($"Retention:Schedule: '{options.Schedule}' is not a cron expression (minute hour day month weekday, UTC, e.g. 30 3 * * *).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
