using namespace System.Net
param($Request, $orders, $TriggerMetadata)
Push-OutputBinding -Name Response -Value ([HttpResponseContext]@{ StatusCode = [HttpStatusCode]::OK; Body = $orders })
