using MudBlazor;

namespace Automations.Features.Dispatch;

/// <summary>One colour per run status, wherever runs are listed.</summary>
public static class RunColours
{
    public static Color Of(RunStatus status) => status switch
    {
        RunStatus.Succeeded => Color.Success,
        RunStatus.Failed => Color.Error,
        RunStatus.Retrying => Color.Warning,
        _ => Color.Default,
    };
}
