//! The `/demo` page in a real browser: it links to the app as each demo user.

use ridechat_e2e::{Harness, HarnessError, Result};
use thirtyfour::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_page_links_every_demo_user() -> Result<()> {
    let harness = Harness::start().await?;
    let browser = harness.new_browser().await?;
    let driver = browser.driver()?;
    driver
        .goto(format!("{}/demo", harness.server_url()))
        .await
        .map_err(HarnessError::webdriver("opening /demo"))?;

    let links = driver
        .find_all(By::Css("[data-testid=demo-user]"))
        .await
        .map_err(HarnessError::webdriver("finding the demo user links"))?;
    let mut users = Vec::new();
    for link in &links {
        let user = link
            .attr("data-user-id")
            .await
            .map_err(HarnessError::webdriver("reading a link"))?;
        let href = link
            .attr("href")
            .await
            .map_err(HarnessError::webdriver("reading a link"))?;
        let href = href.unwrap_or_default();
        assert!(
            href.contains("/#token="),
            "link {user:?} opens {href}, not the app with a token"
        );
        users.push(user.unwrap_or_default());
    }
    users.sort();

    assert_eq!(users, vec!["d1", "r1", "r2"]);
    browser.quit().await?;
    harness.finish(Vec::new()).await
}
