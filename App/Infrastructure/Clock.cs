namespace Automations.Infrastructure;

public static class ClockSetup
{
    /// <summary>Every time in the app comes from TimeProvider, so tests can replace it.</summary>
    public static IServiceCollection AddClock(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        return services;
    }
}
