// The citizen web chat: official botframework-webchat talking Direct Line 3.0 to this gateway.
(function () {
  'use strict';
  var STORAGE_KEY = 'minsheng.webchat.session';
  var statusEl = document.getElementById('status');

  function showStatus(text) {
    statusEl.textContent = text;
    statusEl.hidden = !text;
  }

  function savedSession() {
    try {
      var s = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
      // Keep a minute of margin: the token must still be valid when the socket opens.
      return s && s.expiresAt > Date.now() + 60000 ? s : null;
    } catch {
      return null;
    }
  }

  function newSession() {
    return fetch('/webchat/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ locale: navigator.language || 'zh-CN' }),
    }).then(function (res) {
      if (!res.ok) throw new Error('token ' + res.status);
      return res.json().then(function (body) {
        var session = {
          conversationId: body.conversationId,
          token: body.token,
          userId: body.userId,
          expiresAt: Date.now() + body.expires_in * 1000,
        };
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
        return session;
      });
    });
  }

  var existing = savedSession();
  (existing ? Promise.resolve(existing) : newSession())
    .then(function (session) {
      var directLine = window.WebChat.createDirectLine({
        domain: location.origin + '/v3/directline',
        token: session.token,
        // With a conversation id the client reconnects and replays the history of this tab's conversation.
        conversationId: session.conversationId,
        webSocket: true,
      });
      window.WebChat.renderWebChat(
        {
          directLine: directLine,
          userID: session.userId,
          locale: 'zh-CN',
          styleOptions: {
            accent: '#c8161d',
            botAvatarInitials: '民声',
            userAvatarInitials: '我',
            bubbleBorderRadius: 8,
            bubbleFromUserBorderRadius: 8,
            hideUploadButton: true,
            sendBoxTextWrap: true,
          },
        },
        document.getElementById('webchat'),
      );
      var sendBox = document.querySelector('[data-id="webchat-sendbox-input"]');
      if (sendBox) sendBox.focus();
    })
    .catch(function () {
      showStatus('在线服务暂时无法连接，请稍后刷新页面重试，或直接拨打 12345 热线。');
    });
})();
