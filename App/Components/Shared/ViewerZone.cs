namespace Automations.Components.Shared;

/// <summary>
/// The time zone of whoever is looking, cascaded to every <see cref="Time"/> on the page. Until the browser has said
/// which zone it is in (first render of an interactive page) it is UTC, which the times then say.
/// </summary>
public sealed record ViewerZone(TimeZoneInfo Zone)
{
    public static readonly ViewerZone Utc = new(TimeZoneInfo.Utc);

    /// <summary>The zone the browser named, or UTC when .NET does not know the name.</summary>
    public static ViewerZone FromIana(string? name) =>
        ViewerPreferences.IsZoneName(name) && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) ? new ViewerZone(zone) : Utc;

    public DateTimeOffset Convert(DateTimeOffset value) => TimeZoneInfo.ConvertTime(value, Zone);

    /// <summary>"UTC", or the offset at that moment ("UTC+1", "UTC-3:30"): a name like CET is not known on every system.</summary>
    public string Label(DateTimeOffset value)
    {
        var offset = Zone.GetUtcOffset(value);
        if (offset == TimeSpan.Zero)
        {
            return "UTC";
        }

        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        return abs.Minutes == 0 ? $"UTC{sign}{abs.Hours}" : $"UTC{sign}{abs.Hours}:{abs.Minutes:00}";
    }
}
