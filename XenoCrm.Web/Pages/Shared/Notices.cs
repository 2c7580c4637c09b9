using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace XenoCrm.Web.Pages;

/// <summary>One-line outcomes of a POST, shown by the layout on the page the POST redirects to.</summary>
public static class Notices
{
    public const string SuccessKey = "notice.success";
    public const string FailureKey = "notice.failure";

    public static void Success(this ITempDataDictionary tempData, string message) => tempData[SuccessKey] = message;

    public static void Failure(this ITempDataDictionary tempData, string message) => tempData[FailureKey] = message;
}
