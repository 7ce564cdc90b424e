using Automations.Infrastructure;

namespace Automations.Components.Shared;

public static class ErrorText
{
    /// <summary>The message a user should read for an exception a service raised on purpose, or null for a bug.</summary>
    public static string? ForUser(Exception ex) => ex switch
    {
        InputException or ConflictException or ForbiddenException or NotFoundException or RateLimitedException => ex.Message,
        _ => null,
    };

    public static string? FieldOf(Exception ex) => ex switch
    {
        InputException input => input.Field,
        ConflictException conflict => conflict.Field,
        _ => null,
    };
}
