// Stand-in for mailpit: accepts every SMTP message on 1025 (no TLS, any AUTH) and lists how many
// arrived at GET /mailpit/api/v1/messages on 8025.
import http from 'node:http';
import net from 'node:net';

const messages = [];
net
  .createServer((socket) => {
    let inData = false;
    let data = '';
    let buffer = '';
    socket.write('220 mail-sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let index;
      while ((index = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push({ size: data.length, subject: /^Subject: (.*)$/m.exec(data)?.[1] ?? '' });
            data = '';
            socket.write('250 OK queued\r\n');
          } else data += `${line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-mail-sink\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 Bye\r\n');
        } else if (verb === 'AUTH') socket.write('235 Authentication successful\r\n');
        else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => {});
  })
  .listen(1025);
http
  .createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ total: messages.length, messages }));
  })
  .listen(8025);
