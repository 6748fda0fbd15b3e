//! The contacts page: search, paging, and adding a contact.

use parley::domain::ContactForm;

use super::*;

#[tokio::test]
async fn the_contacts_page_searches_pages_and_adds() {
    let server = TestServer::start().await;
    server.add_user("carol", parley::domain::Role::Agent).await;
    let today = server.clock.now().date_naive();
    let now = server.clock.now();
    server
        .state
        .store
        .write(move |txn| {
            for i in 1..=30 {
                let form = ContactForm {
                    first_name: "Customer".into(),
                    last_name: format!("{i:02}"),
                    mobile: format!("+141555501{:02}", 10 + i),
                    ..ContactForm::default()
                };
                let update = form.validate(today).expect("valid");
                parley::store::create_contact(txn, update, now)?.expect("new number");
            }
            Ok(())
        })
        .await
        .unwrap();
    let carol = server.login("carol").await;
    // Cells of the contacts table only (the add form below has a table too).
    let rows = |html: &str| {
        let Some(at) = html.find("<table id=\"contacts\">") else {
            return 0;
        };
        let table = &html[at..];
        table[..table.find("</table>").unwrap()]
            .matches("<td>")
            .count()
            / 5
    };

    let (status, page1) = get(&carol, "/contacts").await;
    assert_eq!(status, 200);
    assert!(page1.contains("30 contacts"), "{page1}");
    assert!(page1.contains("page 1 of 2"));
    assert_eq!(rows(&page1), 25);
    assert!(page1.contains("Customer 30"), "newest first");
    assert!(!page1.contains("Customer 05"));
    assert!(
        page1.contains("href=\"/contacts?q=&#38;page=2\""),
        "next link: {page1}"
    );
    assert!(!page1.contains("contacts-prev"));
    assert!(page1.contains("href=\"/workspace\""), "top bar");

    let (_, page2) = get(&carol, "/contacts?page=2").await;
    assert_eq!(rows(&page2), 5);
    assert!(page2.contains("Customer 01"));
    assert!(page2.contains("contacts-prev") && !page2.contains("contacts-next"));
    let (_, past) = get(&carol, "/contacts?page=99").await;
    assert!(
        past.contains("page 2 of 2"),
        "past the end shows the last page"
    );
    let (_, junk) = get(&carol, "/contacts?page=abc").await;
    assert!(junk.contains("page 1 of 2"));

    // Adding a contact, then finding it by name, email, customer ID and number (any case).
    let (status, _) = post_form(&carol, "/contacts", &valid("+14155550199")).await;
    assert_eq!(status, 303);
    for q in ["grace hop", "NAVY.EXAMPLE", "c/42", "5550199"] {
        let q_enc: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let (_, found) = get(&carol, &format!("/contacts?q={q_enc}")).await;
        assert!(found.contains("1 contact matching"), "{q}: {found}");
        assert!(found.contains("Grace Hopper"), "{q}");
        assert_eq!(rows(&found), 1, "{q}");
    }
    let (_, ten) = get(&carol, "/contacts?q=customer+1").await;
    assert!(ten.contains("10 contacts matching"), "{ten}");
    assert!(
        ten.contains("value=\"customer 1\""),
        "the search box keeps the query"
    );

    // The add form: refused input comes back next to the fields, typed values kept.
    let (status, html) = post_form(
        &carol,
        "/contacts",
        &with(valid("+14155550198"), &[("email", "nope")]),
    )
    .await;
    assert_refused(status, &html, "email", "is not an email address");
    assert!(
        html.contains("<details id=\"add-contact\" class=\"card\" open>"),
        "{html}"
    );
    let (status, html) = post_form(&carol, "/contacts", &valid("+14155550111")).await;
    assert_refused(status, &html, "mobile", "already belongs to Customer 01");
    server.stop().await;
}
