namespace Automations.Features.Automations.Actions;

/// <summary>A preview that typing refreshes many times: only the newest request's answer is kept.</summary>
public sealed class LatestPreview
{
    private CancellationTokenSource? _cancellation;

    /// <summary>Null while the first preview renders.</summary>
    public PayloadPreview? Current { get; private set; }

    public async Task RefreshAsync(Func<CancellationToken, Task<PayloadPreview>> render)
    {
        if (_cancellation is not null)
        {
            await _cancellation.CancelAsync();
        }

        var cancellation = _cancellation = new CancellationTokenSource();
        try
        {
            var preview = await render(cancellation.Token);
            if (!cancellation.IsCancellationRequested)
            {
                Current = preview;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
