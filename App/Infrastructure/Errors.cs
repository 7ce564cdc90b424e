namespace Automations.Infrastructure;

/// <summary>The thing does not exist, or the caller may not know it exists (outside the team).</summary>
public sealed class NotFoundException(string message = "Not found.") : Exception(message);

/// <summary>The caller is a team member but lacks the role for this action.</summary>
public sealed class ForbiddenException(string message = "Only team admins can do this.") : Exception(message);

/// <summary>Bad input: names the field at fault so pages and the API can point at it.</summary>
public sealed class InputException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>The request clashes with the current state (duplicate name, a secret still in use...).</summary>
public sealed class ConflictException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>The caller asked too often; try again after <see cref="RetryAfter"/> (429 with Retry-After).</summary>
public sealed class RateLimitedException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
